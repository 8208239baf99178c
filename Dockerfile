# syntax=docker/dockerfile:1
# The `brummer` CLI in an image; docker-compose.yml runs it as two nodes and a gateway over Redis.
# Build context: the repository root. .dockerignore sends only what the stages below COPY.
# Checked without a Docker engine by tests/Brummer.Cli.Tests/DockerComposeTests.cs.

# .NET 10 images are Ubuntu 24.04 "noble" (Microsoft ships no Debian images for .NET 10). The tags name the distro
# so that the apt packages below keep meaning the same thing when the default changes.
FROM mcr.microsoft.com/dotnet/sdk:10.0-noble AS build
WORKDIR /repo
# What MSBuild reads above the projects: the SDK pin, the shared build settings, the central package versions, and
# the analyzer settings a TreatWarningsAsErrors build depends on (without .editorconfig the build fails on CA rules
# the repository turns off).
COPY global.json Directory.Build.props Directory.Packages.props .editorconfig ./
COPY src/ src/
# Framework-dependent, so the runtime stage needs only the ASP.NET runtime. No apphost: the entrypoint is `dotnet brummer.dll`.
RUN dotnet publish src/Cli/Brummer.Cli.csproj -c Release -o /app -p:UseAppHost=false

FROM mcr.microsoft.com/dotnet/aspnet:10.0-noble
# A node runs package.json scripts with npm (node + npm); each script leads its own process group through setsid
# (util-linux). procps is there to look inside: docker compose exec node-a ps -ef.
RUN apt-get update \
    && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends nodejs npm util-linux procps \
    && rm -rf /var/lib/apt/lists/*

COPY --from=build /app /app
# The stacks the compose nodes run (--dir). Owned by the user the scripts run as: dev scripts write to their directory.
COPY --chown=$APP_UID:$APP_UID examples/ /srv/brummer/examples/

# The base image asks ASP.NET Core to listen on :8080; the gateway listens only where --bind/--port say.
# npm writes its cache and logs under $HOME by default; /tmp is writable for the non-root user whatever HOME is.
ENV ASPNETCORE_HTTP_PORTS= \
    npm_config_cache=/tmp/npm-cache \
    npm_config_update_notifier=false

# Where the certs service of docker-compose.yml writes the cluster CA and the members' certificates, and its tokens
# service the API token file. A named volume mounted on a directory of the image starts with its owner and mode: the
# non-root user's, owner-only.
RUN install -d -o $APP_UID -g $APP_UID -m 0700 /srv/brummer/ca /srv/brummer/certs /srv/brummer/tokens

WORKDIR /srv/brummer
# The non-root user of the .NET images (uid 1654): nodes and gateways need no privilege, and neither do the scripts.
USER $APP_UID
ENTRYPOINT ["dotnet", "/app/brummer.dll"]
CMD ["--help"]
