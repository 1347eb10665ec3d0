package bus_test

import (
	"bytes"
	"encoding/json"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/invopop/jsonschema"
	"github.com/narrator-dev/narrator/bus"
	validator "github.com/santhosh-tekuri/jsonschema/v6"
)

var updateSchemas = flag.Bool("update-schemas", false, "rewrite docs/schemas from the Go types")

const schemaDir = "../docs/schemas"

// schemaOf generates the JSON Schema of the body type v points to, with the comments of its
// Go declarations as descriptions.
func schemaOf(t *testing.T, name string, v any) []byte {
	t.Helper()
	r := &jsonschema.Reflector{
		// Readers ignore fields they do not know (docs/events.md: Versions and schemas).
		AllowAdditionalProperties: true,
		BaseSchemaID:              "https://github.com/narrator-dev/narrator/blob/main/docs/schemas",
		DoNotReference:            true,
	}
	if err := r.AddGoComments("github.com/narrator-dev/narrator/bus", "./"); err != nil {
		t.Fatal(err)
	}
	s := r.Reflect(v)
	s.ID = jsonschema.ID("https://github.com/narrator-dev/narrator/blob/main/docs/schemas/" + name + ".json")
	s.Title = name
	s.Comments = "narrator.v1 bodies, schema version " + bus.SchemaVersion + ". Generated from the Go types by `go test ./bus -run TestSchemas -update-schemas`; do not edit."
	out, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return append(out, '\n')
}

// TestSchemasMatchTheGoTypes fails when a body type changed without its schema in docs/schemas:
// run `go test ./bus -run TestSchemas -update-schemas` and commit the files (and raise
// bus.SchemaVersion when a field was added).
func TestSchemasMatchTheGoTypes(t *testing.T) {
	want := map[string]bool{}
	for name, newValue := range docTypes {
		file := filepath.Join(schemaDir, name+".json")
		want[filepath.Base(file)] = true
		generated := schemaOf(t, name, newValue())
		if *updateSchemas {
			if err := os.MkdirAll(schemaDir, 0o755); err != nil {
				t.Fatal(err)
			}
			if err := os.WriteFile(file, generated, 0o644); err != nil {
				t.Fatal(err)
			}
			continue
		}
		published, err := os.ReadFile(file)
		if err != nil {
			t.Errorf("%s has no schema: %v (run go test ./bus -run TestSchemas -update-schemas)", name, err)
			continue
		}
		if !bytes.Equal(published, generated) {
			t.Errorf("%s changed without its schema %s: run go test ./bus -run TestSchemas -update-schemas, commit the file, and raise bus.SchemaVersion if a field was added", name, file)
		}
	}
	files, _ := filepath.Glob(filepath.Join(schemaDir, "*.json"))
	for _, f := range files {
		if !want[filepath.Base(f)] {
			t.Errorf("%s is the schema of no body type: remove it", f)
		}
	}
}

// compile loads the published schema of the named body.
func compile(t *testing.T, name string) *validator.Schema {
	t.Helper()
	c := validator.NewCompiler()
	c.AssertFormat()
	s, err := c.Compile(filepath.Join(schemaDir, name+".json"))
	if err != nil {
		t.Fatalf("compile the %s schema: %v", name, err)
	}
	return s
}

func TestSchemasAcceptTheDocumentedExamples(t *testing.T) {
	compiled := map[string]*validator.Schema{}
	for _, ex := range readDocExamples(t) {
		if _, ok := docTypes[ex.typ]; !ok {
			continue // TestEventsDocExamplesDecode reports it
		}
		s := compiled[ex.typ]
		if s == nil {
			s = compile(t, ex.typ)
			compiled[ex.typ] = s
		}
		v, err := validator.UnmarshalJSON(bytes.NewReader(ex.body))
		if err != nil {
			t.Fatalf("docs/events.md:%d: %v", ex.line, err)
		}
		if err := s.Validate(v); err != nil {
			t.Errorf("docs/events.md:%d: the %s example does not match its schema: %v", ex.line, ex.typ, err)
		}
	}
}

func TestSchemasRejectWrongBodies(t *testing.T) {
	cases := []struct {
		typ, body, why string
	}{
		{"Description", `{"id":"d1","camera":"cam0","frame_id":"f1","partial":"no","text":"","backend":"b","is_model":false,"captured_at":"2026-11-25T20:20:39Z","inference_started_at":"2026-11-25T20:20:39Z"}`, "partial is not a boolean"},
		{"Decision", `{"id":"x1","camera":"cam0","description_id":"d1","text":"t","action":"speak","captured_at":"2026-11-25T20:20:39Z"}`, "decided_at is missing"},
		{"SpeechEvent", `{"id":"e1","utterance_id":"u1","camera":"cam0","state":"started","text":"t","backend":"b","at":"yesterday","captured_at":"2026-11-25T20:20:39Z"}`, "at is not a date-time"},
		{"Stats", `{"process":"p","at":"2026-11-25T20:20:39Z","counters":{"a":"many"}}`, "a counter is not a number"},
	}
	for _, c := range cases {
		t.Run(c.why, func(t *testing.T) {
			v, err := validator.UnmarshalJSON(strings.NewReader(c.body))
			if err != nil {
				t.Fatal(err)
			}
			if err := compile(t, c.typ).Validate(v); err == nil {
				t.Fatalf("a %s whose %s matched its schema", c.typ, c.why)
			}
		})
	}
}
