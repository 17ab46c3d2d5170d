// Package precompile compiles the values.schema.json of the chart prestart
// loads ahead, while the program still initialises; the commands pass
// Schemas to the validations (render.Options.Schemas,
// release.InstallOptions.Schemas, lint.Options.Schemas), which take the
// result. It is a package of its own because the schema library is ready
// only late in initialisation, after the chart load has started.
package precompile

import (
	"github.com/lade-dev/lade/cmd/lade/internal/prestart"
	"github.com/lade-dev/lade/pkg/values"
)

// Schemas are the compiles started for the schemas of the charts prestart
// loads.
var Schemas values.Precompiled

func init() { prestart.OnSchema(Schemas.Start) }
