import { relative } from 'node:path';

import { buildArtifact, repositoryRoot } from '.';

const mb = (bytes: number) => `${(bytes / 1024 / 1024).toFixed(2)} MB`;

/** `npm run package`: builds artifact/app (what azd deploys, azure.yaml `dist`) and artifact/app.zip, and prints their size. */
async function main(): Promise<void> {
  const artifact = await buildArtifact();
  for (const file of artifact.files) console.log(`  ${file.name.padEnd(28)} ${mb(file.size).padStart(10)}`);
  console.log(
    `Artifact: ${relative(repositoryRoot, artifact.folder)} ${mb(artifact.unzippedSize)} unzipped, ${relative(repositoryRoot, artifact.zip)} ${mb(artifact.zippedSize)} zipped (target under 10 MB).`,
  );
}

main().catch((error: unknown) => {
  console.error(`package failed: ${error instanceof Error ? error.message : String(error)}`);
  process.exitCode = 1;
});
