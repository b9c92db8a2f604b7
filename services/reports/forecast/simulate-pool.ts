import { availableParallelism } from 'node:os';
import { fork, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { SimulationInput, SimulationResult } from './simulate.ts';

/**
 * The Monte Carlo runs in worker processes, so a 20,000-path, two-year forecast (a few
 * seconds of arithmetic) never holds up the pages and /health of everyone else. At most
 * one worker per core but one, kept for the next run; runs beyond that wait in line.
 * Processes rather than threads: on Node 20 a worker thread cannot load TypeScript
 * (the loader is not inherited), while a forked process starts with the parent's flags.
 */
const SIZE = Math.max(1, Math.min(4, availableParallelism() - 1));

type Task = { id: number; input: SimulationInput; resolve(r: SimulationResult): void; reject(e: Error): void };
type Slot = { worker: ChildProcess; task: Task | null };

const WORKER = fileURLToPath(new URL('./simulate-worker.ts', import.meta.url));
const slots: Slot[] = [];
const waiting: Task[] = [];
let nextId = 0;

function spawn(): Slot {
  // 'advanced' serialization carries the typed arrays as they are.
  const worker = fork(WORKER, [], { serialization: 'advanced', stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  const slot: Slot = { worker, task: null };
  // An idle pool must not keep a process (a test, a job) alive.
  worker.unref();
  worker.on('message', (msg: { id: number; result?: SimulationResult; error?: string }) => {
    const task = slot.task;
    slot.task = null;
    worker.unref();
    worker.channel?.unref();
    if (task && task.id === msg.id) {
      if (msg.error) task.reject(new Error(msg.error));
      else task.resolve(msg.result!);
    }
    next();
  });
  const gone = (err: Error) => {
    slot.task?.reject(err);
    slot.task = null;
    if (slots.includes(slot)) slots.splice(slots.indexOf(slot), 1);
    next();
  };
  worker.on('error', gone);
  worker.on('exit', (code) => gone(new Error(`the forecast worker stopped (exit ${code})`)));
  worker.channel?.unref();
  slots.push(slot);
  return slot;
}

function next(): void {
  while (waiting.length) {
    const slot = slots.find((s) => !s.task) ?? (slots.length < SIZE ? spawn() : null);
    if (!slot) return;
    const task = waiting.shift()!;
    slot.task = task;
    slot.worker.ref();
    slot.worker.channel?.ref();
    slot.worker.send({ id: task.id, input: task.input });
  }
}

/** `simulate(input)` in a worker process. */
export function simulateInWorker(input: SimulationInput): Promise<SimulationResult> {
  return new Promise((resolve, reject) => {
    waiting.push({ id: nextId++, input, resolve, reject });
    next();
  });
}

/** Ends the workers (at shutdown); the next run starts new ones. */
export async function closeSimulationPool(): Promise<void> {
  const all = slots.splice(0);
  for (const s of all) s.worker.kill();
}
