// Owns the mail-stack configuration the chains run: the documented snippets (docs/*.md show
// them verbatim; a test checks that), with production paths the tests substitute, plus the
// test-only settings (private directories, loopback ports, delays off) kept apart from them.

/** Production values in the snippets, replaced by each test's own. */
export const PRODUCTION = {
  node: "/usr/bin/node",
  shim: "/opt/shadowd/bin/shadowd-pam",
  socket: "/run/shadowd/shadowd.sock",
  pamService: "shadowd-mail",
  postfixQueue: "/var/spool/postfix",
  vmailHome: "/var/mail/vhosts",
  tlsKey: "/etc/ssl/private/mail.example.org.key",
  tlsCert: "/etc/ssl/certs/mail.example.org.pem",
} as const;

/** docs/pam.md: the PAM service for mail daemons (Dovecot, saslauthd; Postfix through Dovecot). */
export const PAM_MAIL_SERVICE = `# /etc/pam.d/shadowd-mail: shadowd accounts for mail daemons (Dovecot, saslauthd)
auth     required pam_exec.so expose_authtok quiet /usr/bin/node /opt/shadowd/bin/shadowd-pam --socket /run/shadowd/shadowd.sock
account  required pam_exec.so quiet /usr/bin/node /opt/shadowd/bin/shadowd-pam --socket /run/shadowd/shadowd.sock
password required pam_deny.so
`;

/** docs/pam.md: the same with `stdout`, for programs that show PAM messages to the user. */
export const PAM_INTERACTIVE_SERVICE = `# /etc/pam.d/shadowd-login: shadowd accounts for programs that show PAM messages
auth     required pam_exec.so expose_authtok quiet stdout /usr/bin/node /opt/shadowd/bin/shadowd-pam --socket /run/shadowd/shadowd.sock
account  required pam_exec.so quiet stdout /usr/bin/node /opt/shadowd/bin/shadowd-pam --socket /run/shadowd/shadowd.sock
password required pam_deny.so
`;

/** docs/pam.md: the launcher's own `#!/usr/bin/env node` line, when node is in /usr/bin or /bin. */
export const PAM_SHEBANG_SERVICE = `auth     required pam_exec.so expose_authtok quiet /opt/shadowd/bin/shadowd-pam --socket /run/shadowd/shadowd.sock
account  required pam_exec.so quiet /opt/shadowd/bin/shadowd-pam --socket /run/shadowd/shadowd.sock
`;

/**
 * docs/pam.md: /etc/pam.d/pop3, /etc/pam.d/imap and /etc/pam.d/smtp. Dovecot (`args = %Ls`)
 * and saslauthd use the protocol as PAM service, so shadowd sees pop3, imap or smtp.
 */
export const PAM_PROTOCOL_SERVICE = `@include shadowd-mail
`;

/** docs/dovecot.md: /etc/dovecot/local.conf. */
export const DOVECOT_CONF = `# shadowd accounts through PAM: the PAM service is the protocol (pop3, imap; smtp for
# Postfix), each of whose files includes /etc/pam.d/shadowd-mail, where pam_exec runs shadowd-pam
passdb {
  driver = pam
  args = %Ls
}
# shadowd accounts are not in /etc/passwd: one user (vmail, uid 5000) owns every mailbox
userdb {
  driver = static
  args = uid=5000 gid=5000 home=/var/mail/vhosts/%u
}
first_valid_uid = 1000
auth_mechanisms = plain login
# PAM runs in the auth worker, and so the shim, a Node.js process: V8 reserves about
# 800 MiB of address space at start, far above the default vsz_limit of 256 MiB
service auth-worker {
  vsz_limit = 1G
}
# Postfix's SMTP AUTH (submission, smtps) asks Dovecot through this socket
service auth {
  unix_listener /var/spool/postfix/private/auth {
    mode = 0660
    user = postfix
    group = postfix
  }
}
`;

/** docs/postfix.md: /etc/postfix/main.cf additions. */
export const POSTFIX_MAIN_CF = `smtpd_sasl_type = dovecot
smtpd_sasl_path = private/auth
smtpd_tls_chain_files = /etc/ssl/private/mail.example.org.key, /etc/ssl/certs/mail.example.org.pem
smtpd_tls_security_level = may
`;

/** docs/postfix.md: /etc/postfix/master.cf services (587 with STARTTLS, 465 with implicit TLS). */
export const POSTFIX_MASTER_CF = `submission inet n       -       y       -       -       smtpd
  -o syslog_name=postfix/submission
  -o smtpd_tls_security_level=encrypt
  -o smtpd_tls_auth_only=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
smtps     inet  n       -       y       -       -       smtpd
  -o syslog_name=postfix/smtps
  -o smtpd_tls_wrappermode=yes
  -o smtpd_sasl_auth_enable=yes
  -o smtpd_client_restrictions=permit_sasl_authenticated,reject
  -o smtpd_relay_restrictions=permit_sasl_authenticated,reject
`;

/** Every documented snippet and the docs page that must show it verbatim. */
export const DOCUMENTED_SNIPPETS: ReadonlyArray<{ name: string; page: string; text: string }> = [
  { name: "PAM service for mail daemons", page: "docs/pam.md", text: PAM_MAIL_SERVICE },
  { name: "PAM service that relays messages", page: "docs/pam.md", text: PAM_INTERACTIVE_SERVICE },
  { name: "PAM lines through the launcher's shebang", page: "docs/pam.md", text: PAM_SHEBANG_SERVICE },
  { name: "Dovecot local.conf", page: "docs/dovecot.md", text: DOVECOT_CONF },
  { name: "Postfix main.cf", page: "docs/postfix.md", text: POSTFIX_MAIN_CF },
  { name: "Postfix master.cf", page: "docs/postfix.md", text: POSTFIX_MASTER_CF },
  { name: "the protocols' PAM services", page: "docs/pam.md", text: PAM_PROTOCOL_SERVICE },
];

/** The substitutions that turn production values into a test's own. */
export function testSubstitutions(values: { pamService: string; socket?: string; shim?: string; node?: string; postfixQueue?: string; vmailHome?: string; tlsKey?: string; tlsCert?: string }): Array<[string, string]> {
  const pairs: Array<[string, string | undefined]> = [
    // Tests cannot own /etc/pam.d/pop3 or smtp: their protocol services carry the test's prefix.
    ["args = %Ls", `args = ${values.pamService}-%Ls`],
    [PRODUCTION.node, values.node],
    [PRODUCTION.shim, values.shim],
    [PRODUCTION.socket, values.socket],
    [PRODUCTION.postfixQueue, values.postfixQueue],
    [PRODUCTION.vmailHome, values.vmailHome],
    [PRODUCTION.tlsKey, values.tlsKey],
    [PRODUCTION.tlsCert, values.tlsCert],
    // Last: the service name also appears inside the comment line's file name.
    [PRODUCTION.pamService, values.pamService],
  ];
  return pairs.filter((pair): pair is [string, string] => pair[1] !== undefined);
}

/** Test-only Dovecot settings: private directories, POP3 on a loopback port, no TLS, no delays. */
export function dovecotTestSettings(values: { workDir: string; pop3Port: number }): string {
  return `# --- test-only settings (private instance) ---
base_dir = ${values.workDir}/dovecot-run
state_dir = ${values.workDir}/dovecot-state
log_path = ${values.workDir}/dovecot.log
protocols = pop3
listen = 127.0.0.1
ssl = no
disable_plaintext_auth = no
mail_location = maildir:~/Maildir
auth_verbose = yes
# Failures answer at once, and no per-address penalty (it would delay later cases by up to 15 s).
auth_failure_delay = 0
service anvil {
  unix_listener anvil-auth-penalty {
    mode = 0
  }
}
service pop3-login {
  inet_listener pop3 {
    address = 127.0.0.1
    port = ${values.pop3Port}
  }
  inet_listener pop3s {
    port = 0
  }
}
`;
}

/** Test-only Postfix main.cf: a private instance (own queue, data directory and log file). */
export function postfixTestMainCf(values: { workDir: string; queueDir: string; dataDir: string }): string {
  return `# --- test-only settings (private instance) ---
compatibility_level = 3.6
myhostname = mail.example.test
mydestination =
local_recipient_maps =
alias_maps =
alias_database =
queue_directory = ${values.queueDir}
data_directory = ${values.dataDir}
mail_owner = postfix
setgid_group = postdrop
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
smtpd_peername_lookup = no
maillog_file_prefixes = ${values.workDir}
maillog_file = ${values.workDir}/postfix.log
`;
}

/** Test-only master.cf services the private instance needs (logging, maps, anvil, TLS cache). */
export const POSTFIX_TEST_MASTER_CF = `postlog   unix-dgram n  -       n       -       1       postlogd
proxymap  unix  -       -       n       -       -       proxymap
anvil     unix  -       -       y       -       1       anvil
tlsmgr    unix  -       -       y       1000?   1       tlsmgr
`;
