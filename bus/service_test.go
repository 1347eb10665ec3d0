package bus

import (
	"encoding/json"
	"testing"
	"time"
)

func TestServiceIsDiscoverableWithStatusAndCounters(t *testing.T) {
	c := serviceConn(t)
	counters := NewCounters()
	counters.Counter("inference.described").Add(3)
	svc, err := c.AddService(ServiceConfig{Name: "narrator-inference", StatusSubject: SubjectInferenceStatus, Counters: counters,
		Status: func() any { return map[string]string{"backend": "heuristic"} }})
	if err != nil {
		t.Fatal(err)
	}
	defer svc.Stop()

	// What `nats micro info` and `nats micro stats` ask.
	var info struct {
		Name      string `json:"name"`
		Endpoints []struct {
			Name    string `json:"name"`
			Subject string `json:"subject"`
		} `json:"endpoints"`
	}
	request(t, c, "$SRV.INFO.narrator-inference", &info)
	if info.Name != "narrator-inference" || len(info.Endpoints) != 1 || info.Endpoints[0].Subject != SubjectInferenceStatus {
		t.Fatalf("service info %+v", info)
	}
	var status map[string]string
	request(t, c, SubjectInferenceStatus, &status)
	if status["backend"] != "heuristic" {
		t.Fatalf("status %v", status)
	}
	var stats struct {
		Endpoints []struct {
			NumRequests int               `json:"num_requests"`
			Data        map[string]uint64 `json:"data"`
		} `json:"endpoints"`
	}
	request(t, c, "$SRV.STATS.narrator-inference", &stats)
	if len(stats.Endpoints) != 1 || stats.Endpoints[0].NumRequests != 1 || stats.Endpoints[0].Data["inference.described"] != 3 {
		t.Fatalf("service stats %+v", stats)
	}
}

func request(t *testing.T, c *Conn, subject string, v any) {
	t.Helper()
	msg, err := c.nc.Request(subject, nil, 2*time.Second)
	if err != nil {
		t.Fatalf("request %s: %v", subject, err)
	}
	if err := json.Unmarshal(msg.Data, v); err != nil {
		t.Fatalf("reply from %s: %v: %s", subject, err, msg.Data)
	}
}

func TestServiceNeedsItsStatus(t *testing.T) {
	c := serviceConn(t)
	for _, cfg := range []ServiceConfig{
		{Name: "x", StatusSubject: "x.status"},
		{Name: "x", Status: func() any { return nil }},
		{StatusSubject: "x.status", Status: func() any { return nil }},
	} {
		if svc, err := c.AddService(cfg); err == nil {
			svc.Stop()
			t.Errorf("AddService(%+v) succeeded", cfg)
		}
	}
}

// serviceConn connects to a new embedded server; both end with the test.
func serviceConn(t *testing.T) *Conn {
	t.Helper()
	srv, err := StartServer(ServerConfig{})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(srv.Shutdown)
	c, err := srv.Connect("svc")
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(c.Close)
	return c
}
