package main

import (
	"github.com/spf13/pflag"

	"github.com/lade-dev/lade/pkg/values"
)

// valueFlags are Helm's value flags: -f, --set, --set-string, --set-file,
// --set-json and --set-literal.
type valueFlags struct {
	opts values.Options
}

func (v *valueFlags) add(f *pflag.FlagSet) {
	f.StringSliceVarP(&v.opts.ValueFiles, "values", "f", nil, "specify values in a YAML file (can specify multiple; later files win; '-' reads standard input)")
	f.StringArrayVar(&v.opts.Values, "set", nil, "set values on the command line (can specify multiple or separate values with commas: key1=val1,key2=val2)")
	f.StringArrayVar(&v.opts.StringValues, "set-string", nil, "set STRING values on the command line (can specify multiple or separate values with commas: key1=val1,key2=val2)")
	f.StringArrayVar(&v.opts.FileValues, "set-file", nil, "set values from respective files specified via the command line (can specify multiple or separate values with commas: key1=path1,key2=path2)")
	f.StringArrayVar(&v.opts.JSONValues, "set-json", nil, "set JSON values on the command line (can specify multiple or separate values with commas: key1=jsonval1,key2=jsonval2 or using json format: {\"key1\": jsonval1, \"key2\": \"jsonval2\"})")
	f.StringArrayVar(&v.opts.LiteralValues, "set-literal", nil, "set a literal STRING value on the command line")
}

// merge reads and merges the user-supplied values in Helm's order.
func (v *valueFlags) merge() (map[string]any, error) {
	return v.opts.MergeValues()
}
