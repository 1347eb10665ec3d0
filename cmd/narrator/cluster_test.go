package main

import (
	"context"
	"encoding/json"
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"sort"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"github.com/narrator-dev/narrator/bus"
	"github.com/narrator-dev/narrator/bus/bustest"
)

// clusterNode is one nats-server process of a three-node cluster on loopback.
type clusterNode struct {
	name          string
	client, route string // HOST:PORT of the client and cluster (route) listeners
	monitor       string // HOST:PORT of the HTTP monitoring endpoint
	cmd           *exec.Cmd
}

func (n *clusterNode) url() string { return "nats://" + n.client }

// config is the node's nats-server configuration file, as docs/scale-out.md shows it: pings
// every 2 s to clients and routes, so a node that goes silent is left within seconds.
func (n *clusterNode) config(nodes []*clusterNode) string {
	var routes []string
	for _, o := range nodes {
		if o != n {
			routes = append(routes, "nats://"+o.route)
		}
	}
	return fmt.Sprintf(`server_name: %s
listen: %s
http: %s
ping_interval: "2s"
ping_max: 2
cluster {
  name: narrator
  listen: %s
  routes: [%s]
}
`, n.name, n.client, n.monitor, n.route, strings.Join(routes, ", "))
}

// start runs the node's nats-server, routed to the other nodes.
func (n *clusterNode) start(t *testing.T, nodes []*clusterNode) {
	t.Helper()
	conf := filepath.Join(t.TempDir(), n.name+".conf")
	if err := os.WriteFile(conf, []byte(n.config(nodes)), 0o600); err != nil {
		t.Fatal(err)
	}
	n.cmd = natsServer(t, n.client, "-c", conf)
}

// kill ends the node at once (SIGKILL: no goodbye to clients or routes).
func (n *clusterNode) kill() {
	_ = n.cmd.Process.Signal(syscall.SIGKILL)
	_ = n.cmd.Wait()
}

// freeze stops the node without closing a socket (SIGSTOP), as a host that loses power or its
// network looks to the others: only missing answers to pings tell.
func (n *clusterNode) freeze() { _ = n.cmd.Process.Signal(syscall.SIGSTOP) }

// monitorJSON decodes the node's monitoring endpoint path (nats-server's /connz, /routez) into v.
func (n *clusterNode) monitorJSON(path string, v any) error {
	resp, err := http.Get("http://" + n.monitor + path)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		return fmt.Errorf("%s: %s", path, resp.Status)
	}
	return json.NewDecoder(resp.Body).Decode(v)
}

// routedTo returns the names of the nodes this node has a route to.
func (n *clusterNode) routedTo() []string {
	// nats-server's server/monitor.go: Routez{Routes []*RouteInfo}, RouteInfo.RemoteName.
	var rz struct {
		Routes []struct {
			RemoteName string `json:"remote_name"`
		} `json:"routes"`
	}
	if n.monitorJSON("/routez", &rz) != nil {
		return nil
	}
	var names []string
	for _, r := range rz.Routes {
		if !slices.Contains(names, r.RemoteName) {
			names = append(names, r.RemoteName)
		}
	}
	return names
}

// connections returns the names of the clients connected to this node.
func (n *clusterNode) connections() []string {
	// nats-server's server/monitor.go: Connz{Conns []*ConnInfo `json:"connections"`}, ConnInfo.Name.
	var cz struct {
		Conns []struct {
			Name string `json:"name"`
		} `json:"connections"`
	}
	if n.monitorJSON("/connz?limit=1000", &cz) != nil {
		return nil
	}
	var names []string
	for _, c := range cz.Conns {
		names = append(names, c.Name)
	}
	return names
}

// startCluster starts three routed nats-server processes and waits for the full mesh.
func startCluster(t *testing.T) []*clusterNode {
	t.Helper()
	var nodes []*clusterNode
	for i := range 3 {
		nodes = append(nodes, &clusterNode{
			name:    fmt.Sprintf("n%d", i+1),
			client:  "127.0.0.1:" + freePort(t),
			route:   "127.0.0.1:" + freePort(t),
			monitor: "127.0.0.1:" + freePort(t),
		})
	}
	for _, n := range nodes {
		n.start(t, nodes)
	}
	waitMesh(t, nodes)
	return nodes
}

// waitMesh waits until every node has a route to both others.
func waitMesh(t *testing.T, nodes []*clusterNode) {
	t.Helper()
	bustest.Eventually(t, 30*time.Second, "the three nodes to route to each other", func() bool {
		for _, n := range nodes {
			if len(n.routedTo()) != len(nodes)-1 {
				return false
			}
		}
		return true
	})
}

// arrivals records when events were first received (by id), from any of several observers.
type arrivals struct {
	mu    sync.Mutex
	first map[string]time.Time
	times []time.Time // arrival of each first receipt, in order
}

func (a *arrivals) add(id string, at time.Time) {
	a.mu.Lock()
	defer a.mu.Unlock()
	if _, ok := a.first[id]; ok {
		return
	}
	a.first[id] = at
	a.times = append(a.times, at)
}

// after returns the first arrival after t0, if any.
func (a *arrivals) after(t0 time.Time) (time.Time, bool) {
	a.mu.Lock()
	defer a.mu.Unlock()
	for _, at := range a.times {
		if at.After(t0) {
			return at, true
		}
	}
	return time.Time{}, false
}

// lastBefore returns the last arrival before t0.
func (a *arrivals) lastBefore(t0 time.Time) time.Time {
	a.mu.Lock()
	defer a.mu.Unlock()
	var last time.Time
	for _, at := range a.times {
		if at.Before(t0) {
			last = at
		}
	}
	return last
}

// observe subscribes to subject on every node (one connection each, to that node only) and records
// each event's first arrival, so the loss of one node does not blind the test.
func observe[T any](t *testing.T, nodes []*clusterNode, subject string, id func(T) string) *arrivals {
	a := &arrivals{first: map[string]time.Time{}}
	ctx, cancel := context.WithCancel(context.Background())
	var wg sync.WaitGroup
	for _, n := range nodes {
		dctx, cancel := context.WithTimeout(ctx, 5*time.Second)
		c, err := bus.Dial(dctx, n.url(), "test-"+n.name, bus.Auth{}, nil)
		cancel()
		if err != nil {
			t.Fatal(err)
		}
		q := bustest.Collect[T](t, c, subject, 10000)
		wg.Add(1)
		go func() {
			defer wg.Done()
			for {
				v, err := q.Next(ctx)
				if err != nil {
					return
				}
				a.add(id(v), time.Now())
			}
		}()
		t.Cleanup(c.Close)
	}
	t.Cleanup(func() { cancel(); wg.Wait() })
	return a
}

// nodeHosting returns the node a client whose name starts with prefix is connected to.
func nodeHosting(t *testing.T, nodes []*clusterNode, prefix string) *clusterNode {
	t.Helper()
	var host *clusterNode
	bustest.Eventually(t, 20*time.Second, "a node to host the "+prefix+" connection", func() bool {
		for _, n := range nodes {
			for _, name := range n.connections() {
				if strings.HasPrefix(name, prefix) {
					host = n
					return true
				}
			}
		}
		return false
	})
	return host
}

// TestClusterNodeLossDoesNotEndNarration runs capture, infer and speak as separate processes
// against a three-node nats-server cluster, capture and infer given every node's URL, speak only
// one (a seed: it learns the others from the cluster). It then kills, one after the other, the
// node each stage is connected to, and checks by the events that descriptions and narration
// decisions resume after each loss, logging how long they stopped.
func TestClusterNodeLossDoesNotEndNarration(t *testing.T) {
	nodes := startCluster(t)
	var all []string
	for _, n := range nodes {
		all = append(all, n.url())
	}
	descriptions := observe(t, nodes, bus.AllDescriptions, func(d bus.Description) string {
		if d.Partial {
			return "" // only whole descriptions count
		}
		return d.ID
	})
	decisions := observe(t, nodes, bus.SubjectDecisions, func(d bus.Decision) string { return d.ID })

	urls := strings.Join(all, ",")
	stageProcess(t, "capture", "--nats", urls, "--source", "demo", "--heartbeat", "100ms", "--min-interval", "100ms", "--max-interval", "0")
	stageProcess(t, "infer", "--nats", urls, "--backend", "heuristic")
	stageProcess(t, "speak", "--nats", nodes[0].url(), "--speech", "none", "--keys=false")

	start := time.Now()
	bustest.Eventually(t, 60*time.Second, "the first narration decision", func() bool {
		_, ok := decisions.after(start)
		return ok
	})

	rounds := []struct {
		stage  string // the connection whose node is lost
		freeze bool   // SIGSTOP (silent) instead of SIGKILL
	}{{"capture-", false}, {"inference", false}, {"narrator", false}, {"capture-", true}}
	for i, round := range rounds {
		victim := nodeHosting(t, nodes, round.stage)
		var alsoThere []string
		for _, name := range victim.connections() {
			if !strings.HasPrefix(name, "test-") {
				alsoThere = append(alsoThere, name)
			}
		}
		sort.Strings(alsoThere)
		how := "killed"
		lastDescription := descriptions.lastBefore(time.Now())
		lost := time.Now()
		if round.freeze {
			how = "froze"
			victim.freeze()
		} else {
			victim.kill()
		}

		var resumedDescription, resumedDecision time.Time
		bustest.Eventually(t, 60*time.Second, fmt.Sprintf("round %d: descriptions and decisions after node %s (hosting %s) %s", i+1, victim.name, round.stage, how), func() bool {
			var ok1, ok2 bool
			resumedDescription, ok1 = descriptions.after(lost)
			resumedDecision, ok2 = decisions.after(lost)
			return ok1 && ok2
		})
		victim.kill() // a frozen node's monitor would still accept connections
		// The stage's connection is on a surviving node now.
		if moved := nodeHosting(t, nodes, round.stage); moved == victim {
			t.Fatalf("round %d: %s still on the lost node %s", i+1, round.stage, victim.name)
		}
		t.Logf("round %d: %s %s (clients: %s); no description for %v (first %v after); first decision %v after",
			i+1, how, victim.name, strings.Join(alsoThere, " "),
			resumedDescription.Sub(lastDescription).Round(time.Millisecond), resumedDescription.Sub(lost).Round(time.Millisecond),
			resumedDecision.Sub(lost).Round(time.Millisecond))

		victim.start(t, nodes)
		waitMesh(t, nodes)
	}
}
