# Installs docker tidy on Windows as a docker CLI plugin: %USERPROFILE%\.docker\cli-plugins\docker-tidy.exe
# (or $env:DOCKER_CONFIG\cli-plugins), the folder docker, Docker Desktop's included, searches for a
# user's plugins. Docker Desktop's own plugins (in %ProgramFiles%\Docker\cli-plugins) are not touched.
#
#   irm https://github.com/docker-tidy/docker-tidy/releases/latest/download/install.ps1 | iex
#       downloads docker-tidy-windows-x64.exe and SHA256SUMS from the release ($env:DOCKER_TIDY_RELEASE_URL,
#       default the latest GitHub release), checks the SHA-256, installs
#   .\scripts\install.ps1 -From dist\release     the same from a folder (npm run build:all, or downloaded files)
#   .\scripts\install.ps1 -Uninstall             removes it
#
# Windows on ARM runs the x64 build under its x64 emulation (there is no windows-arm64 build).
# Never overwrites anything that is not a regular file; the new file is copied beside the old one
# and renamed over it.
param([string]$From, [switch]$Uninstall)
$ErrorActionPreference = 'Stop'

function Install-DockerTidy {
  param([string]$From, [switch]$Uninstall)

  $name = 'docker-tidy-windows-x64.exe'
  $releaseUrl = if ($env:DOCKER_TIDY_RELEASE_URL) { $env:DOCKER_TIDY_RELEASE_URL } else { 'https://github.com/docker-tidy/docker-tidy/releases/latest/download' }
  $config = if ($env:DOCKER_CONFIG) { $env:DOCKER_CONFIG } else { Join-Path $env:USERPROFILE '.docker' }
  $dir = Join-Path $config 'cli-plugins'
  $dest = Join-Path $dir 'docker-tidy.exe'

  if (Test-Path -LiteralPath $dest) {
    $item = Get-Item -LiteralPath $dest -Force
    if ($item.PSIsContainer -or ($item.Attributes -band [IO.FileAttributes]::ReparsePoint)) {
      throw "refusing to touch ${dest}: it exists and is not a regular file"
    }
  }

  if ($Uninstall) {
    if (Test-Path -LiteralPath $dest) {
      Remove-Item -LiteralPath $dest -Force
      Write-Output "removed $dest"
    } else {
      Write-Output "docker tidy is not installed in $dir"
    }
    return
  }

  $arch = $env:PROCESSOR_ARCHITECTURE
  if ($arch -ne 'AMD64' -and $arch -ne 'ARM64') { throw "docker tidy has no build for Windows on $arch (there is an x64 build)" }

  $work = Join-Path ([IO.Path]::GetTempPath()) ("docker-tidy-" + [Guid]::NewGuid())
  New-Item -ItemType Directory -Path $work | Out-Null
  try {
    if ($From) {
      $file = Join-Path $From $name
      $sums = Join-Path $From 'SHA256SUMS'
      if (-not (Test-Path -LiteralPath $file)) { throw "$file does not exist" }
      if (-not (Test-Path -LiteralPath $sums)) { throw "$sums does not exist: cannot check $name" }
      $source = "$name, checksum verified"
    } else {
      $file = Join-Path $work $name
      $sums = Join-Path $work 'SHA256SUMS'
      Invoke-WebRequest -UseBasicParsing -Uri "$releaseUrl/SHA256SUMS" -OutFile $sums
      Invoke-WebRequest -UseBasicParsing -Uri "$releaseUrl/$name" -OutFile $file
      $source = "$name from $releaseUrl, checksum verified"
    }
    $want = $null
    foreach ($line in Get-Content -LiteralPath $sums) {
      $parts = $line -split '\s+\*?', 2
      if ($parts.Count -eq 2 -and $parts[1] -eq $name) { $want = $parts[0] }
    }
    if (-not $want) { throw "$name is not listed in SHA256SUMS" }
    $got = (Get-FileHash -Algorithm SHA256 -LiteralPath $file).Hash.ToLowerInvariant()
    if ($got -ne $want.ToLowerInvariant()) {
      throw "checksum mismatch for ${name}: SHA256SUMS says $want, the file is $got; nothing was installed"
    }

    New-Item -ItemType Directory -Force -Path $dir | Out-Null
    $tmp = Join-Path $dir (".docker-tidy." + $PID + ".exe")
    Copy-Item -LiteralPath $file -Destination $tmp -Force
    # A file downloaded by a browser carries the internet zone mark; this one is checked above.
    Unblock-File -LiteralPath $tmp
    try {
      Move-Item -LiteralPath $tmp -Destination $dest -Force
    } catch {
      Remove-Item -LiteralPath $tmp -Force -ErrorAction SilentlyContinue
      throw "could not replace ${dest} (is docker tidy running?): $($_.Exception.Message)"
    }
    Write-Output "installed $dest ($source)"
  } finally {
    Remove-Item -LiteralPath $work -Recurse -Force -ErrorAction SilentlyContinue
  }
}

Install-DockerTidy -From $From -Uninstall:$Uninstall
