export const USAGE = `electorate - leader election as XState statecharts

Usage:
  electorate node --protocol raft --id ID --listen HOST:PORT
                  --peers ID=HOST:PORT,... [options]
  electorate demo [--nodes N]
  electorate --help | --version

electorate node: run one member until SIGTERM or SIGINT (resigning if it leads).
  --protocol raft               election protocol (bully, les, kv: not yet)
  --id ID                       this member's id
  --listen HOST:PORT            where peers reach this member
  --peers ID=HOST:PORT,...      the other members (this one may be listed)
  --transport tcp|ws            peer transport (default tcp)
  --http HOST:PORT              serve GET /diag, GET /healthz, POST /resign
  --heartbeat MS                leader heartbeat interval (default 50)
  --election-timeout MIN-MAX    randomized election timeout (default 150-300)
  --lease MS                    leader lease (default 90% of the timeout MIN)
  --data-dir DIR                keep term and vote on disk across restarts
  --no-vote                     follow, but never vote or stand
  --non-voters ID,...           members of --peers that never vote or stand
  --tag KEY=VALUE               a tag other members see; repeatable
  --tls-ca FILE --tls-cert FILE --tls-key FILE
                                TLS between members (PEM files); add
                                --tls-mutual to require client certificates
  --log text|json|none          one line per change of role or leader on stdout
                                (default text); errors always go to stderr

electorate demo: a raft cluster in this process over TCP on 127.0.0.1, one diag
  server per node; prints every change and a summary each second until Ctrl-C.
  --nodes N                     cluster size (default 3)

Bad flags print one line to stderr and exit with code 2.`;
