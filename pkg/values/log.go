package values

import (
	"context"
	"fmt"
	"log/slog"
	"sync"
)

// logger sends diagnostics where Helm sends them: its log.Printf warnings
// (which the helm CLI routes through slog at INFO) as formatted INFO
// records, its slog.Warn/Debug calls as records with the same attributes.
// A nil logger discards everything; a holding one keeps the records.
type logger struct {
	l    *slog.Logger
	held *heldLog
}

func (g logger) printf(format string, args ...any) {
	g.log(slog.LevelInfo, fmt.Sprintf(format, args...))
}

func (g logger) warn(msg string, args ...any) { g.log(slog.LevelWarn, msg, args...) }

func (g logger) debug(msg string, args ...any) { g.log(slog.LevelDebug, msg, args...) }

func (g logger) log(level slog.Level, msg string, args ...any) {
	switch {
	case g.held != nil:
		g.held.add(heldRecord{level, msg, args})
	case g.l != nil:
		g.l.Log(context.Background(), level, msg, args...)
	}
}

// heldLog keeps what a schema compile started ahead logs, for the
// validation that takes the compile to log with its own logger.
type heldLog struct {
	mu   sync.Mutex
	recs []heldRecord
}

type heldRecord struct {
	level slog.Level
	msg   string
	args  []any
}

func (h *heldLog) add(r heldRecord) {
	h.mu.Lock()
	h.recs = append(h.recs, r)
	h.mu.Unlock()
}

// replayTo logs the held records with g, in order.
func (h *heldLog) replayTo(g logger) {
	h.mu.Lock()
	defer h.mu.Unlock()
	for _, r := range h.recs {
		g.log(r.level, r.msg, r.args...)
	}
}

// Option tunes ProcessDependencies, CoalesceValues and ValidateSchema.
type Option func(*config)

type config struct {
	log         logger
	skipSchema  bool
	precompiled *Precompiled
}

func newConfig(opts []Option) config {
	var c config
	for _, o := range opts {
		o(&c)
	}
	return c
}

// WithLogger sends Helm's warnings to l: coalescing warnings at INFO (as the
// helm CLI shows them), dependency warnings at WARN, traces at DEBUG.
func WithLogger(l *slog.Logger) Option {
	return func(c *config) { c.log = logger{l: l} }
}

// SkipSchemaValidation turns off values.schema.json checks in CoalesceValues
// when skip is true (--skip-schema-validation).
func SkipSchemaValidation(skip bool) Option {
	return func(c *config) { c.skipSchema = skip }
}

// WithPrecompiled has schema validation start from the compiles pc started
// ahead, where one was started for a schema's text.
func WithPrecompiled(pc *Precompiled) Option {
	return func(c *config) { c.precompiled = pc }
}
