// Types for the parts of cuda-build.mjs the tests import.
type Env = Record<string, string | undefined>;
export const library: string;
export function findNvcc(env?: Env): string | null;
export function libDir(nvcc: string): string | null;
export function archs(env?: Env): string[];
export function buildCuda(
  env?: Env,
  dryRun?: boolean,
): { enabled: boolean; rebuilt: boolean; seconds?: number; reason?: string };
