package scale

import (
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/nats-io/nats-server/v2/server"

	"github.com/narrator-dev/narrator/bus"
)

// cluster is Config.Cluster routed nats-server nodes on loopback, in this process (the
// nats-server Go module the narrator embeds, as a `nats-server -c nodeN.conf` would run it:
// a cluster block with routes to every other node, and JetStream with its own store for pull
// mode). Clients are given one node's URL each and learn the others from it.
type cluster struct {
	nodes []*server.Server
	dir   string
}

// clusterReady bounds how long the nodes may take to route to each other and, with JetStream,
// to elect the meta leader that creates the work queue.
const clusterReady = 30 * time.Second

// startCluster starts n nodes, all routed to each other, and waits until they are: every
// node has a route to every other and, with jetStream, JetStream has a leader and every node
// is current.
func startCluster(n int, jetStream bool) (*cluster, error) {
	dir, err := os.MkdirTemp("", "narrator-scale-cluster-")
	if err != nil {
		return nil, err
	}
	c := &cluster{dir: dir}
	routePorts := make([]int, n)
	for i := range routePorts {
		if routePorts[i], err = freePort(); err != nil {
			c.shutdown()
			return nil, err
		}
	}
	for i := range n {
		var routes []string
		for j, p := range routePorts {
			if j != i {
				routes = append(routes, fmt.Sprintf("nats://127.0.0.1:%d", p))
			}
		}
		opts := &server.Options{
			ServerName: fmt.Sprintf("n%d", i+1),
			Host:       "127.0.0.1",
			Port:       server.RANDOM_PORT,
			NoSigs:     true,
			NoLog:      true,
			MaxPayload: bus.MaxPayload,
			// As docs/scale-out.md's node configuration: a silent peer is left within seconds.
			PingInterval: 2 * time.Second,
			MaxPingsOut:  2,
			Cluster:      server.ClusterOpts{Name: "narrator-scale", Host: "127.0.0.1", Port: routePorts[i]},
			Routes:       server.RoutesFromStr(strings.Join(routes, ",")),
		}
		if jetStream {
			opts.JetStream = true
			opts.StoreDir = filepath.Join(dir, opts.ServerName)
		}
		ns, err := server.NewServer(opts)
		if err != nil {
			c.shutdown()
			return nil, fmt.Errorf("cluster node %d: %w", i+1, err)
		}
		ns.Start()
		c.nodes = append(c.nodes, ns)
		if !ns.ReadyForConnections(10 * time.Second) {
			c.shutdown()
			return nil, fmt.Errorf("cluster node %d not ready after 10 s", i+1)
		}
	}
	if err := c.waitFormed(jetStream); err != nil {
		c.shutdown()
		return nil, err
	}
	return c, nil
}

// waitFormed waits until the full mesh of routes is up and, with JetStream, it has a leader
// and every node is current.
func (c *cluster) waitFormed(jetStream bool) error {
	deadline := time.Now().Add(clusterReady)
	for time.Now().Before(deadline) {
		formed := true
		leader := false
		for _, ns := range c.nodes {
			if ns.NumRoutes() < len(c.nodes)-1 {
				formed = false
			}
			if jetStream {
				leader = leader || ns.JetStreamIsLeader()
				formed = formed && ns.JetStreamIsCurrent()
			}
		}
		if formed && (leader || !jetStream) {
			return nil
		}
		time.Sleep(50 * time.Millisecond)
	}
	return fmt.Errorf("the %d-node cluster did not form within %s", len(c.nodes), clusterReady)
}

// url is node i's client URL (i taken modulo the nodes).
func (c *cluster) url(i int) string { return c.nodes[i%len(c.nodes)].ClientURL() }

// shutdown stops every node and removes their stores. It may be called again.
func (c *cluster) shutdown() {
	for _, ns := range c.nodes {
		ns.Shutdown()
		ns.WaitForShutdown()
	}
	c.nodes = nil
	_ = os.RemoveAll(c.dir)
}

// freePort is a loopback TCP port free a moment ago, for a node's route listener, which the
// other nodes' routes must name before it starts.
func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer func() { _ = l.Close() }()
	addr, ok := l.Addr().(*net.TCPAddr)
	if !ok {
		return 0, errors.New("find a free port: not a TCP address")
	}
	return addr.Port, nil
}
