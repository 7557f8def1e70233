# Asterisk 22 with Terugbel's configuration: the same asterisk-config/ that scripts/asterisk-sandbox runs.
# Build from the repository root:
#   docker build -f docker/asterisk.Dockerfile -t terugbel-asterisk .
#
# Debian 12 has no asterisk package; Debian sid has Asterisk 22 (docs/domain-facts.md §4).
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
# (docker/Dockerfile) so the volume gets that owner even when this container mounts it first. Its moh/
# folder is the hold music class's (asterisk-config/musiconhold.conf).
RUN install -d -o 10001 -g 10001 /var/lib/terugbel /var/lib/terugbel/sounds /var/lib/terugbel/sounds/moh \
 && install -d -o asterisk -g asterisk /var/run/asterisk
# Asterisk drops a hold music class whose folder is empty at its start: the start puts a placeholder there
# until the controller's prompt build replaces it with the real hold music.
COPY scripts/seed-hold-music /usr/local/bin/terugbel-seed-hold-music

# Secrets (compose `secrets:`):
#   /run/secrets/ari_password              the controller's ARI password: written into ari_credentials.conf
#                                          (ari.conf #include) for the user TERUGBEL_ARI_USER
#   /run/secrets/pjsip_headset_auth.conf   the headsets' SIP passwords (pjsip.conf #include), copied in
# Both end up readable by root and the asterisk group only. Asterisk refuses to start without them, and
# when the headset file still holds the demo passwords.
CMD ["sh", "-euc", "\
for f in ari_password pjsip_headset_auth.conf; do \
  [ -s /run/secrets/$f ] || { echo \"missing secret /run/secrets/$f\" >&2; exit 1; }; \
done; \
install -m 0640 -o root -g asterisk /run/secrets/pjsip_headset_auth.conf /etc/asterisk/pjsip_headset_auth.conf; \
if grep -q 'password *= *demo-' /etc/asterisk/pjsip_headset_auth.conf; then \
  echo 'pjsip_headset_auth.conf holds the demo passwords; supply your own' >&2; exit 1; \
fi; \
umask 027; \
printf '[%s]\\ntype = user\\nread_only = no\\npassword_format = plain\\npassword = %s\\n' \
  \"${TERUGBEL_ARI_USER:-terugbel}\" \"$(head -n 1 /run/secrets/ari_password)\" >/etc/asterisk/ari_credentials.conf; \
chgrp asterisk /etc/asterisk/ari_credentials.conf; \
umask 022; \
install -d -o 10001 -g 10001 /var/lib/terugbel/sounds/moh; \
terugbel-seed-hold-music /var/lib/terugbel/sounds/moh; \
install -d -o asterisk -g asterisk /var/run/asterisk; \
install -d -o asterisk -g asterisk /var/spool/asterisk/recording/inspreeklijn \
  /var/spool/asterisk/recording/terugbelverzoek; \
exec /usr/sbin/asterisk -f -n -U asterisk -G asterisk"]

HEALTHCHECK --interval=10s --timeout=5s --start-period=20s \
  CMD asterisk -rx "core show uptime seconds" | grep -q "System uptime"
