import OpenAI from 'openai';
import type { EmbeddingsConfig } from '../core/config.ts';

/** Turns texts into vectors with one model; `model` is stored beside each vector, so a new model re-embeds. */
export type Embedder = { model: string; embed(texts: string[]): Promise<number[][]> };

/** Texts per request: well under every OpenAI-compatible server's input limit. */
const BATCH = 64;

/**
 * An embedder on an OpenAI-compatible `/embeddings` endpoint. Floats are asked for
 * explicitly: the SDK's default (base64) is not served by every compatible server.
 * Throws the SDK's APIError when the endpoint refuses.
 */
export function openAiEmbedder(config: EmbeddingsConfig): Embedder {
  const client = new OpenAI({ apiKey: config.apiKey, baseURL: config.baseUrl ?? undefined, timeout: config.timeoutMs, maxRetries: 2 });
  return {
    model: config.model,
    async embed(texts) {
      const out: number[][] = [];
      for (let i = 0; i < texts.length; i += BATCH) {
        const res = await client.embeddings.create({ model: config.model, input: texts.slice(i, i + BATCH), encoding_format: 'float' });
        out.push(...[...res.data].sort((a, b) => a.index - b.index).map((d) => d.embedding));
      }
      return out;
    },
  };
}

export function embedderFor(config: { embeddings: EmbeddingsConfig | null }): Embedder | null {
  return config.embeddings ? openAiEmbedder(config.embeddings) : null;
}
