// One-layer OCI image archives, reproducible: the layer is a tar of a directory with names sorted, times 0 and owner
// 0:0, and the config carries no creation time, so the same files give the same digest on every machine. The
// archive is what `ctr images import` reads; each image name is an index entry's io.containerd.image.name.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import path from 'node:path';

export interface ImageConfig {
  Entrypoint?: string[];
  Cmd?: string[];
  Env?: string[];
  WorkingDir?: string;
  User?: string;
}

export interface BuiltImage {
  /** The archive to import. */
  archive: string;
  /** The name by tag, e.g. mtr.local/busybox:1.35.0. */
  name: string;
  /** The manifest's digest (sha256:…): `name@digest` pins the image. */
  digest: string;
}

const TAR_FLAGS = ['--sort=name', '--mtime=@0', '--owner=0', '--group=0', '--numeric-owner', '--format=posix',
  '--pax-option=exthdr.name=%d/PaxHeaders/%f,delete=atime,delete=ctime'];

const sha256 = (b: Buffer | string) => createHash('sha256').update(b).digest('hex');

/**
 * Packs `rootfs` into `<outDir>/<file>.tar` as an OCI archive named `name` (and `name-without-tag@digest`, the name
 * the CRI looks up when a pod pins the image by digest).
 */
export function ociArchive(
  o: { rootfs: string; name: string; config: ImageConfig; outDir: string; file: string },
): BuiltImage {
  const layout = path.join(o.outDir, `${o.file}.oci`);
  rmSync(layout, { recursive: true, force: true });
  const blobs = path.join(layout, 'blobs', 'sha256');
  mkdirSync(blobs, { recursive: true });
  const blob = (data: Buffer | string): { digest: string; size: number } => {
    const hex = sha256(data);
    writeFileSync(path.join(blobs, hex), data);
    return { digest: `sha256:${hex}`, size: Buffer.byteLength(data) };
  };
  const layerFile = path.join(o.outDir, `${o.file}.layer.tar`);
  execFileSync('tar', [...TAR_FLAGS, '-C', o.rootfs, '-cf', layerFile, '.']);
  const layer = blob(readFileSync(layerFile));
  rmSync(layerFile);
  const config = blob(JSON.stringify({
    architecture: 'amd64',
    os: 'linux',
    config: o.config,
    rootfs: { type: 'layers', diff_ids: [layer.digest] },
  }));
  const manifest = blob(JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    config: { mediaType: 'application/vnd.oci.image.config.v1+json', ...config },
    layers: [{ mediaType: 'application/vnd.oci.image.layer.v1.tar', ...layer }],
  }));
  const repo = o.name.replace(/:[^:/]+$/, '');
  const entry = (ref: string) => ({
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    ...manifest,
    platform: { architecture: 'amd64', os: 'linux' },
    annotations: { 'io.containerd.image.name': ref },
  });
  writeFileSync(path.join(layout, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }));
  writeFileSync(path.join(layout, 'index.json'), JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.oci.image.index.v1+json',
    manifests: [entry(o.name), entry(`${repo}@${manifest.digest}`)],
  }));
  const archive = path.join(o.outDir, `${o.file}.tar`);
  execFileSync('tar', [...TAR_FLAGS, '-C', layout, '-cf', archive, '.']);
  rmSync(layout, { recursive: true, force: true });
  return { archive, name: o.name, digest: manifest.digest };
}
