export interface ParityResult {
  name: string;
  ok: boolean;
  detail: string;
}
export function runParity(mt: unknown, device?: string): ParityResult[];
export function runMemoryChecks(mt: unknown, device?: string): ParityResult[];
