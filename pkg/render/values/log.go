package values

import (
	"context"
	"fmt"
	"log/slog"
)

// logger sends diagnostics where Helm sends them: its log.Printf warnings
// (which the helm CLI routes through slog at INFO) as formatted INFO
// records, its slog.Warn/Debug calls as records with the same attributes.
// A nil logger discards everything.
type logger struct{ l *slog.Logger }

func (g logger) printf(format string, args ...any) {
	if g.l == nil {
		return
	}
	g.l.Log(context.Background(), slog.LevelInfo, fmt.Sprintf(format, args...))
}

func (g logger) warn(msg string, args ...any) {
	if g.l == nil {
		return
	}
	g.l.Log(context.Background(), slog.LevelWarn, msg, args...)
}

func (g logger) debug(msg string, args ...any) {
	if g.l == nil {
		return
	}
	g.l.Log(context.Background(), slog.LevelDebug, msg, args...)
}

// Option tunes ProcessDependencies, CoalesceValues and ValidateSchema.
type Option func(*config)

type config struct {
	log        logger
	skipSchema bool
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
	return func(c *config) { c.log = logger{l} }
}

// SkipSchemaValidation turns off values.schema.json checks in CoalesceValues
// when skip is true (--skip-schema-validation).
func SkipSchemaValidation(skip bool) Option {
	return func(c *config) { c.skipSchema = skip }
}
