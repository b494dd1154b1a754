#!/usr/bin/env bash
# Installs the Bicep CLI from NuGet (package Azure.Bicep.CommandLine.<rid>, pinned in tools/bicep/bicep.csproj)
# and prints the binary's path. Needs the .NET SDK (`dotnet restore`), nothing else: the package carries a
# self-contained executable. Idempotent: a second run reuses the restored package.
# It installs into a cache outside the project, BICEP_INSTALL_DIR (default ~/.cache/acs-identity-token-service/bicep),
# so that the 120 MB binary never ends up in the function app's deployment package. The infra tests
# (test/infra/bicep-cli.test.ts) find it there, or through BICEP_PATH or PATH.
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
project="$root/tools/bicep/bicep.csproj"
install_dir="${BICEP_INSTALL_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/acs-identity-token-service/bicep}"
packages="$install_dir/packages"
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
  # MSBuildProjectExtensionsPath keeps restore's obj/ folder in the cache too, out of the project tree.
  dotnet restore "$project" --packages "$packages" -p:MSBuildProjectExtensionsPath="$install_dir/obj/" --nologo --verbosity quiet >&2
fi
chmod +x "$bicep"
# Bicep is a .NET app: without libicu it needs invariant globalization (harmless with it).
DOTNET_SYSTEM_GLOBALIZATION_INVARIANT=1 "$bicep" --version >&2
echo "$bicep"
