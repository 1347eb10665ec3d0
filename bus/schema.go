package bus

// SchemaVersion is the revision of the narrator.v1 message bodies and headers, sent with every
// message in the HeaderSchema header. Its major part is the subject's version (v1), which
// changes only when a body changes incompatibly; the minor part grows when fields are added.
// See docs/events.md.
const SchemaVersion = "1.0"

// HeaderSchema is the header every narrator message carries its SchemaVersion in.
const HeaderSchema = "Narrator-Schema"

var schemaHeader = []string{SchemaVersion}
