"""A private three-node MariaDB Galera cluster on this machine (Debian's ``galera-4``).

Each node is a ``mariadbd --no-defaults`` (``tests.scaleout.mariadb_servers``)
with the wsrep provider, on ports of its own: SQL, group communication,
incremental state transfer (IST) and full state transfer (SST, rsync). The
first node bootstraps the cluster, the others join it and receive its data by
SST. Never the machine's shared server.
"""

from __future__ import annotations

import os
from functools import partial
from pathlib import Path

from tests.faults.servers import free_port, wait_until
from tests.scaleout.mariadb_servers import MariaNode

PROVIDER = Path(os.environ.get("GALERA_PROVIDER", "/usr/lib/galera/libgalera_smm.so"))
JOIN_SECONDS = 180.0


class GaleraNode(MariaNode):
    """One node: its SQL port plus the cluster's three ports."""

    def __init__(self, index: int) -> None:
        self.gcomm, self.ist, self.sst = free_port(), free_port(), free_port()
        self.index = index
        super().__init__(f"galera{index}")

    def galera_options(self, cluster: list[GaleraNode]) -> list[str]:
        """The wsrep options that make this node a member of ``cluster``."""
        address = ",".join(f"127.0.0.1:{node.gcomm}" for node in cluster)
        provider = (
            f"gmcast.listen_addr=tcp://127.0.0.1:{self.gcomm}; ist.recv_addr=127.0.0.1:{self.ist};"
            " gcache.size=64M; evs.inactive_timeout=PT6S; evs.suspect_timeout=PT3S"
        )
        return [
            "--wsrep-on=ON",
            f"--wsrep-provider={PROVIDER}",
            "--wsrep-cluster-name=scaleout",
            f"--wsrep-cluster-address=gcomm://{address}",
            f"--wsrep-node-name=galera{self.index}",
            f"--wsrep-node-address=127.0.0.1:{self.gcomm}",
            f"--wsrep-node-incoming-address=127.0.0.1:{self.port}",
            f"--wsrep-sst-receive-address=127.0.0.1:{self.sst}",
            "--wsrep-sst-method=rsync",
            f"--wsrep-provider-options={provider}",
            "--wsrep-slave-threads=2",
            "--binlog-format=ROW",
            "--default-storage-engine=InnoDB",
            "--innodb-autoinc-lock-mode=2",
        ]

    def status(self, name: str) -> str:
        """A ``wsrep_*`` (or any) status variable."""
        row = self.sql(f"SHOW GLOBAL STATUS LIKE '{name}'")
        return row.split("\t")[1] if "\t" in row else ""

    def synced(self, size: int) -> bool:
        """Whether this node is Synced in a primary component of ``size`` nodes."""
        try:
            return (
                self.status("wsrep_local_state_comment") == "Synced"
                and self.status("wsrep_cluster_size") == str(size)
                and self.status("wsrep_cluster_status") == "Primary"
            )
        except RuntimeError:
            return False


class GaleraCluster:
    """Three nodes, bootstrapped and synced, with the ``app`` database."""

    def __init__(self, size: int = 3) -> None:
        if not PROVIDER.exists():
            raise RuntimeError(
                f"the Galera provider {PROVIDER} is missing: apt-get install galera-4 "
                "(or set GALERA_PROVIDER)"
            )
        self.nodes: list[GaleraNode] = []
        try:
            for index in range(1, size + 1):
                self.nodes.append(GaleraNode(index))
        except BaseException:
            self.destroy()
            raise

    def start(self) -> None:
        """Bootstrap the first node, join the others one at a time, create ``app``."""
        first, *others = self.nodes
        first.start(*first.galera_options(self.nodes), "--wsrep-new-cluster")
        wait_until(lambda: first.synced(1), "galera1 bootstrapped", JOIN_SECONDS)
        first.tcp_root()
        for count, node in enumerate(others, start=2):
            self.join(node, count)
        first.create_database()
        for node in self.nodes:
            wait_until(partial(_has_app, node), f"app on {node.name}")

    def join(self, node: GaleraNode, size: int) -> None:
        """Start ``node`` and wait until the cluster has ``size`` synced members."""
        node.start(*node.galera_options(self.nodes), wait=False)
        wait_until(
            lambda: node.answers() and node.synced(size), f"{node.name} joining", JOIN_SECONDS
        )

    def restart(self, node: GaleraNode) -> None:
        """Start a node that was killed or stopped: it rejoins (IST from a donor's cache)."""
        self.join(node, len(self.nodes))

    def destroy(self) -> None:
        """Every node gone, files removed."""
        for node in reversed(self.nodes):
            node.destroy()


def _joined(node: GaleraNode, size: int) -> bool:
    return node.answers() and node.synced(size)


def _has_app(node: GaleraNode) -> bool:
    return node.sql("SHOW DATABASES LIKE 'app'") == "app"
