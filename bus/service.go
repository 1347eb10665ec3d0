package bus

import (
	"encoding/json"
	"fmt"

	"github.com/nats-io/nats.go/micro"
)

// InferenceGroup is the NATS queue group inference stages read frames in: each frame goes to
// one member, so several inference processes share the load and none describes a frame twice.
const InferenceGroup = "narrator-inference"

// ServiceConfig describes a stage registered as a NATS micro service, so `nats micro ls`,
// `nats micro info` and `nats micro stats` show it.
type ServiceConfig struct {
	// Name is the service name, e.g. "narrator-inference". Required.
	Name string
	// Version is a semantic version. Default: "0.1.0".
	Version string
	// Description says what the service does.
	Description string
	// StatusSubject is the subject of its "status" endpoint, which answers any request with
	// Status(). Required.
	StatusSubject string
	// Status returns the service's state as JSON-encodable data. Required.
	Status func() any
	// Counters, when set, are reported as the endpoint's custom stats data.
	Counters *Counters
}

// Service is a registered micro service.
type Service struct{ svc micro.Service }

// AddService registers a micro service on c with its status endpoint.
func (c *Conn) AddService(cfg ServiceConfig) (*Service, error) {
	if cfg.Name == "" || cfg.StatusSubject == "" || cfg.Status == nil {
		return nil, fmt.Errorf("register service %q: it needs a name, a status subject and a status function", cfg.Name)
	}
	if cfg.Version == "" {
		cfg.Version = "0.1.0"
	}
	mc := micro.Config{Name: cfg.Name, Version: cfg.Version, Description: cfg.Description}
	if cfg.Counters != nil {
		mc.StatsHandler = func(*micro.Endpoint) any { return cfg.Counters.Snapshot() }
	}
	svc, err := micro.AddService(c.nc, mc)
	if err != nil {
		return nil, fmt.Errorf("register service %s: %w", cfg.Name, err)
	}
	err = svc.AddEndpoint("status", micro.HandlerFunc(func(req micro.Request) {
		data, err := json.Marshal(cfg.Status())
		if err != nil {
			_ = req.Error("500", err.Error(), nil)
			return
		}
		_ = req.Respond(data)
	}), micro.WithEndpointSubject(cfg.StatusSubject))
	if err != nil {
		_ = svc.Stop()
		return nil, fmt.Errorf("register service %s status endpoint: %w", cfg.Name, err)
	}
	return &Service{svc: svc}, nil
}

// Stop unregisters the service.
func (s *Service) Stop() error { return s.svc.Stop() }
