// Package precompile compiles the values.schema.json of the chart prestart
// loads ahead, while the program still initialises (values.CompileAhead);
// the command's schema validation takes the result. It is a package of its
// own because the schema library is ready only late in initialisation,
// after the chart load has started.
package precompile

import (
	"github.com/lade-dev/lade/cmd/lade/internal/prestart"
	"github.com/lade-dev/lade/pkg/values"
)

func init() { prestart.OnSchema(values.CompileAhead) }
