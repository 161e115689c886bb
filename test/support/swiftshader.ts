import { execFileSync } from 'node:child_process';
import { existsSync, mkdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * Where the SwiftShader Vulkan driver (a CPU implementation of Vulkan) is on this machine: Debian's
 * `chromium` package ships it (`chromium-common`: `/usr/lib/chromium/vk_swiftshader_icd.json`).
 * onnxruntime's WebGPU provider (Dawn) accepts it where it refuses Mesa's llvmpipe.
 */
const KNOWN_ICDS = ['/usr/lib/chromium/vk_swiftshader_icd.json', '/usr/lib/chromium-browser/vk_swiftshader_icd.json'];

/** The ICD manifest, found through dpkg, then known paths; null when chromium is not installed. */
export function findSwiftShaderIcd(): string | null {
  for (const pkg of ['chromium-common', 'chromium']) {
    try {
      const files = execFileSync('dpkg', ['-L', pkg], { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
      const icd = files.split('\n').find((f) => f.endsWith('/vk_swiftshader_icd.json'));
      if (icd && existsSync(icd)) return icd;
    } catch {
      // package not installed, or no dpkg: try the next source
    }
  }
  return KNOWN_ICDS.find((p) => existsSync(p)) ?? null;
}

/**
 * Points the Vulkan loader of this process at SwiftShader (unless VK_ICD_FILENAMES already names a
 * driver, e.g. a real GPU's) before the first WebGPU session is created. Throws when there is none:
 * scripts/setup.sh installs chromium, so a missing driver is a broken machine, not a reason to skip.
 */
export function useSwiftShaderVulkan(): string {
  const configured = process.env.VK_ICD_FILENAMES;
  if (configured) return configured;
  const icd = findSwiftShaderIcd();
  if (!icd) {
    throw new Error(
      'no SwiftShader Vulkan driver (vk_swiftshader_icd.json): install Debian\'s chromium package (scripts/setup.sh does: apt-get install --no-install-recommends chromium)',
    );
  }
  process.env.VK_ICD_FILENAMES = icd;
  // Dawn warns when XDG_RUNTIME_DIR is unset; any writable directory silences it.
  if (!process.env.XDG_RUNTIME_DIR) {
    const dir = join(tmpdir(), 'earshot-xdg-runtime');
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    process.env.XDG_RUNTIME_DIR = dir;
  }
  return icd;
}
