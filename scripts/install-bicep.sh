#!/usr/bin/env bash
# Installs the Bicep CLI from NuGet (package Azure.Bicep.CommandLine.<rid>, pinned in tools/bicep/bicep.csproj)
# into tools/bicep/packages, and prints the binary's path. Needs the .NET SDK (`dotnet restore`), nothing else:
# the package carries a self-contained executable. Idempotent: a second run reuses the restored package.
# The infra tests (test/infra/bicep-cli.test.ts) find the binary there, or through BICEP_PATH or PATH.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
project="$root/tools/bicep/bicep.csproj"
packages="$root/tools/bicep/packages"
version="$(sed -n 's/.*Azure\.Bicep\.CommandLine\.linux-x64" Version="\[\([0-9.]*\)\]".*/\1/p' "$project")"

case "$(uname -sm)" in
  'Linux x86_64') ;;
  *) echo "install-bicep: only linux-x64 is pinned in $project; install Bicep yourself (az bicep install) and set BICEP_PATH" >&2; exit 1 ;;
esac
if ! command -v dotnet >/dev/null; then
  echo "install-bicep: the .NET SDK (dotnet) is needed to restore the Bicep CLI from NuGet" >&2
  exit 1
fi

bicep="$packages/azure.bicep.commandline.linux-x64/$version/tools/bicep"
if [ ! -f "$bicep" ]; then
  dotnet restore "$project" --packages "$packages" --nologo --verbosity quiet >&2
fi
chmod +x "$bicep"
# Bicep is a .NET app: without libicu it needs invariant globalization (harmless with it).
DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$bicep" --version >&2
echo "$bicep"
