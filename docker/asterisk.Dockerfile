# Asterisk 22 with Terugbel's configuration: the same asterisk-config/ that scripts/asterisk-sandbox runs.
# Build from the repository root:
#   docker build -f docker/asterisk.Dockerfile -t terugbel-asterisk .
#
# Debian 12 has no asterisk package; Debian sid has Asterisk 22 (docs: /work/shared/domain.md section 4).
# Pin the base image by digest in production so a rebuild does not silently change Asterisk.
FROM debian:sid-slim

RUN apt-get update \
 && DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends asterisk \
 && rm -rf /var/lib/apt/lists/*

# Only Terugbel's configuration: drop the package's samples (modules.conf loads only what Terugbel uses),
# keep Debian's asterisk.conf (standard directories). asterisk-config/demo/ is never copied: the demo
# headset passwords must not reach a practice.
RUN find /etc/asterisk -mindepth 1 ! -name asterisk.conf -delete
COPY asterisk-config/*.conf /etc/asterisk/

# The prompt folder the controller fills (compose volume "sounds"), owned by the controller's fixed uid
# (docker/Dockerfile) so the volume gets that owner even when this container mounts it first.
RUN install -d -o 10001 -g 10001 /var/lib/terugbel /var/lib/terugbel/sounds \
 && install -d -o asterisk -g asterisk /var/run/asterisk

# Secrets (compose `secrets:`), both included by the configuration above:
#   /run/secrets/ari_credentials.conf      the ARI user for the controller (ari.conf #include)
#   /run/secrets/pjsip_headset_auth.conf   the headsets' SIP passwords (pjsip.conf #include)
# They are copied in at start, readable by root and the asterisk group only. Asterisk refuses to start
# without them, and when the headset file still holds the demo passwords.
CMD ["sh", "-euc", "\
for f in ari_credentials.conf pjsip_headset_auth.conf; do \
  [ -s /run/secrets/$f ] || { echo \"missing secret /run/secrets/$f\" >&2; exit 1; }; \
  install -m 0640 -o root -g asterisk /run/secrets/$f /etc/asterisk/$f; \
done; \
if grep -q 'password *= *demo-' /etc/asterisk/pjsip_headset_auth.conf; then \
  echo 'pjsip_headset_auth.conf holds the demo passwords; supply your own' >&2; exit 1; \
fi; \
install -d -o asterisk -g asterisk /var/run/asterisk; \
install -d -o asterisk -g asterisk /var/spool/asterisk/recording/inspreeklijn \
  /var/spool/asterisk/recording/terugbelverzoek; \
exec /usr/sbin/asterisk -f -n -U asterisk -G asterisk"]

HEALTHCHECK --interval=10s --timeout=5s --start-period=20s \
  CMD asterisk -rx "core show uptime seconds" | grep -q "System uptime"
