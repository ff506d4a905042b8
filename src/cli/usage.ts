export const USAGE = `electorate - leader election as XState statecharts

Usage:
  electorate node --protocol raft --id ID --listen HOST:PORT
                  --peers ID=HOST:PORT,... [options]
  electorate node --protocol bully --pid N [--transport udp] [--group ADDR:PORT]
                  [--iface ADDR] [options]
  electorate node --protocol bully --pid N --transport tcp|ws --listen HOST:PORT
                  --peers ID=HOST:PORT,... [options]
  electorate node --protocol les --advertise-addr HOST:PORT --seeds HOST:PORT,...
                  [--bind-port N] [--bind-interface ADDR] [options]
  electorate node --protocol kv --id ID --key KEY
                  --store etcd://HOST:PORT|zk://HOST:PORT|redis://HOST:PORT|
                          postgres://USER@HOST:PORT/DB|memory
                  [--ttl 5s] [options]
  electorate elect --peers ID,... --leaders N --entropy STR
                   [--strategy rendezvous|chainpoint]
  electorate demo [--protocol raft|bully|les|kv|entropy] [--nodes N] [--port N]
                  [--open]
  electorate diagram PROTOCOL [--format mermaid|svg|json]
  electorate check PROTOCOL [--nodes N] [--max-term N] [--max-faults N]
                   [--max-in-flight N] [--timed] [--workers N] [--exact]
                   [--out FILE]
  electorate check --replay FILE
  electorate chaos --protocol raft|bully|les|kv [--store KIND] [--nodes N]
                   [--seconds S | --faults K] [--seed N] [--nemesis LIST]
                   [--out DIR]
  electorate budget --protocol raft|bully|les|kv [timing flags of node]
                    [--store KIND|URL] [--expiry-lag MS] [--nodes N]
                    [--delay MS] [--json]
  electorate --help | --version

electorate node: run one member until SIGTERM or SIGINT (resigning if it leads).
  --protocol raft|bully|les|kv  election protocol
  --id ID                       this member's id (bully: default ADDRESS:PID)
  --listen HOST:PORT            where peers reach this member (tcp, ws)
  --peers ID=HOST:PORT,...      the other members (this one may be listed)
  --transport tcp|ws|udp        peer transport (raft: tcp or ws, default tcp;
                                bully: default udp, or tcp or ws)
  --http HOST:PORT              serve this node's dashboard at /, GET /diag,
                                GET /metrics (Prometheus), GET /healthz and
                                POST /resign (a POST from another site's page
                                is refused)
  --http-token-file FILE        POST /resign then needs "Authorization: Bearer
                                TOKEN" and the dashboard page /#token=TOKEN
  --tls-ca FILE --tls-cert FILE --tls-key FILE
                                TLS between members (PEM files; tcp, ws); add
                                --tls-mutual to require client certificates,
                                and --tls-verify-ids to require that each
                                member's certificate names its id (CN or SAN)
  --secret S | --secret-file FILE
                                (raft, bully over tcp or ws) a secret all members
                                share: each connection proves both ends hold it
                                and every frame carries an HMAC; peers without it
                                are refused. A node listening beyond loopback
                                with neither this nor --tls-mutual warns at start
  --log text|json|none          one line per change of role or leader on stdout
                                (default text); errors always go to stderr

  raft:
  --heartbeat MS                leader heartbeat interval (default 50)
  --election-timeout MIN-MAX    randomized election timeout (default 150-300)
  --lease MS                    leader lease (default 90% of the timeout MIN)
  --data-dir DIR                keep term and vote on disk across restarts
  --no-vote                     follow, but never vote or stand
  --non-voters ID,...           members of --peers that never vote or stand
  --tag KEY=VALUE               a tag other members see; repeatable
  --elections NAME,...          run one election per name among the same
                                members, as one group: one connection per
                                peer, heartbeats coalesced; change lines read
                                ID/NAME, /diag adds an elections list
  --shards N                    the same for N elections, shard-0 to shard-N-1
  --spread                      with --elections or --shards: no member leads
                                more than its share; the excess is handed
                                over to the member each election prefers

  bully (the live member with the highest pid leads; change lines also give
  leaderAddress= and leaderPid=):
  --pid N                       this member's priority, an unsigned 64-bit integer
  --address ADDR                where followers reach this member, also the
                                tie-breaker between equal pids (default: --iface,
                                else 127.0.0.1; tcp, ws: the --listen address)
  --no-preempt                  a higher member that joins follows the sitting
                                leader instead of taking over
  --announce MS                 how often the leader announces itself (default 100)
  --leader-timeout MS           silence after which a follower stands (default 500)
  --answer-timeout MS           wait for a higher member's answer (default 100)
  --coordinator-timeout MS      wait for the new leader to announce (default 300)
  --group ADDR:PORT             multicast group (udp; default 239.255.77.77:9999)
  --iface ADDR                  IPv4 address of the interface to use (udp)
  --ttl N                       multicast hops, 0-255 (udp; default 1)
  --cluster NAME                only hear members of this cluster (udp)
  --secret S | --secret-file FILE
                                udp: sign datagrams and accept only signed ones
  --compat multibully           speak the Go multibully wire format (udp; it has
                                no authentication, so no --secret or --cluster);
                                --group may then be 224.0.0.0:9999, the reserved
                                group stock multibully nodes join

  les (Leader Election by Seniority: the member that started first leads; speaks
  the HTTP API of the reference implementation, /ping, /state, /state/ADDR, /diag):
  --advertise-addr HOST:PORT    where other members reach this one; also its id
  --seeds HOST:PORT,...         asked every loop, members or not (this node's
                                own address may be listed)
  --bind-port N                 port to serve on (default 4000)
  --bind-interface ADDR         address to serve on (default: 127.0.0.1 and ::1
                                when advertised on a loopback name, else 0.0.0.0)
  --loop-rate SECONDS           how often members are polled (default 1; may be
                                fractional)
  --allow-members HOST|CIDR,... only these may become members (default: any);
                                HOST:PORT or CIDR:PORT allows that port alone
  --max-members N               most members kept, this one included (default 64)
  --push | --no-push            publish state changes over WebSocket to other
                                electorate members (default on)
  --alone                       a member that hears from nobody leads alone

  kv (candidates race to create a key under a lease on a store; the holder leads
  and renews; change lines give term=FENCING-TOKEN):
  --store URL                   etcd://HOST:PORT[,...], zk://HOST:PORT[,...],
                                redis://[USER:PASS@]HOST:PORT[/DB],
                                postgres://USER[:PASS]@HOST:PORT/DB[?schema=S
                                &table=T], or memory
                                (this process alone: only a demo)
  --key KEY                     the election key, like service/leader
  --ttl DURATION                the key's lease, like 5s or 500ms (default 5s);
                                a leader that cannot renew stops leading before
                                the store could expire it
  --elections NAME,...          run an election group: one election per name on
                                KEY/NAME, all on one store lease; /diag's group
                                field lists them, role and leader are the first's
  --shards N                    the same with names shard-0 ... shard-N-1

electorate elect: print the leaders every holder of the same peers and entropy
  elects, as a JSON array, with no messages exchanged.
  --peers ID,...                the candidates
  --leaders N                   how many to elect
  --entropy STR                 shared entropy (a block hash, a beacon value),
                                taken as text
  --strategy rendezvous|chainpoint
                                rendezvous (default) is fair; chainpoint matches
                                the Go chainpoint library (needs 7+ bytes)

electorate demo: a cluster in this process on 127.0.0.1 with a live dashboard
  in the browser (kill, restart, partition, heal, resign, slow or lossy links);
  prints its URL, every change and a summary each second until Ctrl-C.
  --protocol raft|bully|les|kv|entropy
                                cluster protocol (default raft); raft and bully
                                over TCP, les over HTTP, kv on an embedded store
  --nodes N                     cluster size, 1-25 (default 5)
  --port N                      dashboard port on 127.0.0.1 (default 0: any free)
  --open                        open the dashboard with xdg-open
  --http-token-file FILE        the dashboard's socket (which can kill and
                                partition nodes) and POST /resign need the
                                token in FILE: open the page as /#token=TOKEN;
                                without it any local program may use them

electorate diagram: print a protocol's statechart, drawn from its machine.
  PROTOCOL                      raft, bully, les, kv or entropy
  --format mermaid|svg|json     Mermaid stateDiagram-v2 (default), a standalone
                                SVG, or the states and transitions as JSON

electorate chaos: run N real nodes, each in its own network namespace (needs
  root, nftables and faketime), inject faults drawn from a seed, check what the
  leaders did against a fenced register, print a summary and write report.html.
  Exit 0 when no violation is found, 1 on a violation (the seed replays it).
  --protocol raft|bully|les|kv  the protocol under test
  --store KIND                  kv: etcd (default), etcd-cluster, zookeeper,
                                zookeeper-ensemble, redis or postgres
  --nodes N                     cluster size, 3-9 (default 3)
  --seconds S | --faults K      how long to run (default 60 s), or how many faults
  --seed N                      the schedule's seed (default: random, printed)
  --nemesis LIST                some of partition, one-way, loss, pause, kill,
                                restart, clock, disk (raft), store (kv); default
                                all that apply
  --out DIR                     where the history, verdict and report go
                                (default electorate-chaos)

electorate check: explore every state of a small cluster running PROTOCOL's
  statechart (every delivery order, loss, duplicate, timer, crash and restart
  within the bounds) and check its invariants in each. Exit 0 when they all
  hold, 1 on a violation: the shortest path is printed as steps and a Mermaid
  diagram, and written as JSON for --replay.
  PROTOCOL                      raft, bully, entropy, les, kv (defaults differ
                                by protocol; kv is timed by default)
  --nodes N                     cluster size (default 3)
  --max-term N                  highest term or round explored
  --max-faults N                drops, duplicates, crashes and restarts per path
  --max-in-flight N             messages in flight at once
  --max-states N                stop after this many states (default
                                200,000,000)
  --timed                       a clock advances in ticks and timers fire at
                                their deadlines (checks the lease)
  --drift N                     timed: ticks a timer may fire early or late
                                (default 1)
  --workers N                   threads to search on (default: one at the
                                default bounds, every core once a bound is
                                raised; one is deterministic)
  --exact                       keep messages to a node that is down for good
                                (by default they are dropped once no fault is
                                left; the verdicts are the same)
  --out FILE                    where to write a counterexample (default
                                electorate-counterexample.json)
  --replay FILE                 run a counterexample again, step by step, in
                                the simulator

electorate budget: print what a timing configuration means before running it:
  worst-case crash failover, resign handover, how long a leader may pause or a
  clock drift before only fencing protects, and messages per second at rest.
  Takes node's timing flags (raft: --heartbeat --election-timeout --lease; bully:
  --announce --leader-timeout --answer-timeout --coordinator-timeout; kv: --ttl;
  les: --loop-rate) and refuses the same bad ones.
  --store KIND|URL              kv: etcd, zookeeper, redis, postgres or memory
                                (or node's store URL): count how late that
                                store drops an expired key, and the round
                                trips its watch and acquire take
  --expiry-lag MS               kv: how late the store drops an expired key,
                                instead of the store's default
  --nodes N                     cluster size (default 3)
  --delay MS                    worst one-way network delay assumed (default 5)
  --json                        the figures as one JSON object

Bad flags print one line to stderr and exit with code 2.`;
