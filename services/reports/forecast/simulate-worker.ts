import { simulate, type SimulationInput } from './simulate.ts';

// One Monte Carlo run per message, in a child process of its own (see simulate-pool.ts).
process.on('message', ({ id, input }: { id: number; input: SimulationInput }) => {
  try {
    process.send!({ id, result: simulate(input) });
  } catch (err) {
    process.send!({ id, error: (err as Error).message });
  }
});
