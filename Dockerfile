# gridrun in a container: each container runs one shard of a batch job
# (`gridrun export-job` writes the AWS Batch / Kubernetes jobs that use it).
#
# scripts/container-build.sh builds gridrun on the host as a static x86_64
# binary first, so the image needs no toolchain and the default target no
# network, neither to build nor to run:
#   scripts/container-build.sh          # gridrun:latest  FROM scratch (EFS, Kubernetes)
#   scripts/container-build.sh --aws    # gridrun:aws     Debian slim + AWS CLI (export-job --s3)
#
# The job folder /job holds this folder's configs/ and datasets/ (baked in);
# mount your own over it at run time instead, e.g.
#   docker run --rm -v "$PWD":/job -v /shared:/mnt/efs gridrun:latest \
#     /usr/local/bin/gridrun run /job/configs/rf.toml --shard 0/4 -o /mnt/efs/rf
# No ENTRYPOINT: the jobs' `command` names the program (gridrun, or a shell
# for the S3 sync), and AWS Batch's command replaces only CMD.

# scripts/container-build.sh stages target/container/rootfs: the stripped
# static gridrun in usr/local/bin and an empty tmp/ (mode 1777: the CSV import
# spools through the temp folder, and FROM scratch has none).

# With the AWS CLI (Debian's awscli package) and a shell, for shards that
# sync their output to S3 when they end. Building it needs Debian's mirror.
FROM debian:bookworm-slim AS aws
RUN apt-get update \
 && apt-get install -y --no-install-recommends awscli ca-certificates \
 && rm -rf /var/lib/apt/lists/*
COPY target/container/rootfs/ /
COPY configs /job/configs
COPY datasets /job/datasets
WORKDIR /job
CMD ["/usr/local/bin/gridrun", "--help"]

# The default: gridrun, the job folder and an empty /tmp, nothing else.
FROM scratch AS minimal
COPY target/container/rootfs/ /
COPY configs /job/configs
COPY datasets /job/datasets
WORKDIR /job
CMD ["/usr/local/bin/gridrun", "--help"]
