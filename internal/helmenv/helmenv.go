package helmenv

import (
	"errors"
	"fmt"
	"os"
	"strconv"
	"strings"
)

// Names of the settings, without their HELM_ or LADE_ prefix.
const (
	Namespace                 = "NAMESPACE"
	KubeContext               = "KUBECONTEXT"
	KubeToken                 = "KUBETOKEN"
	KubeAsUser                = "KUBEASUSER"
	KubeAsGroups              = "KUBEASGROUPS"
	KubeAPIServer             = "KUBEAPISERVER"
	KubeCAFile                = "KUBECAFILE"
	KubeTLSServerName         = "KUBETLS_SERVER_NAME"
	KubeInsecureSkipTLSVerify = "KUBEINSECURE_SKIP_TLS_VERIFY"
	MaxHistory                = "MAX_HISTORY"
	BurstLimit                = "BURST_LIMIT"
	QPS                       = "QPS"
	Debug                     = "DEBUG"
	Driver                    = "DRIVER"
)

// Names lists every setting Load reads, in the order `lade env` documents
// them.
var Names = []string{
	Namespace, KubeContext, KubeToken, KubeAsUser, KubeAsGroups, KubeAPIServer, KubeCAFile,
	KubeTLSServerName, KubeInsecureSkipTLSVerify, MaxHistory, BurstLimit, QPS, Debug, Driver,
}

// DefaultMaxHistory is Helm's default of --history-max.
const DefaultMaxHistory = 10

// Settings are the values the environment gives. Zero values mean "not
// set": BurstLimit and QPS 0 keep the client's defaults.
type Settings struct {
	Namespace                 string
	KubeContext               string
	KubeToken                 string
	KubeAsUser                string
	KubeAsGroups              []string
	KubeAPIServer             string
	KubeCAFile                string
	KubeTLSServerName         string
	KubeInsecureSkipTLSVerify bool
	MaxHistory                int
	BurstLimit                int
	QPS                       float32
	Debug                     bool
	// Driver is the release storage driver asked for ("" = the default);
	// see CheckDriver.
	Driver string

	// driverVar is the variable Driver came from.
	driverVar string
	// Warnings name each variable whose value could not be parsed and
	// was ignored, as Helm ignores it.
	Warnings []string
}

// Lookup returns the value of setting name (such as "NAMESPACE"):
// LADE_name when it is set and not empty, else HELM_name, and which of the
// two variables it came from ("" when neither is set).
func Lookup(name string) (value, variable string) {
	for _, v := range [...]string{"LADE_" + name, "HELM_" + name} {
		if s := os.Getenv(v); s != "" {
			return s, v
		}
	}
	return "", ""
}

// Load reads every setting from the environment.
func Load() *Settings {
	s := &Settings{MaxHistory: DefaultMaxHistory}
	str := func(name string) string { v, _ := Lookup(name); return v }
	s.Namespace = str(Namespace)
	s.KubeContext = str(KubeContext)
	s.KubeToken = str(KubeToken)
	s.KubeAsUser = str(KubeAsUser)
	s.KubeAsGroups = splitGroups(str(KubeAsGroups))
	s.KubeAPIServer = str(KubeAPIServer)
	s.KubeCAFile = str(KubeCAFile)
	s.KubeTLSServerName = str(KubeTLSServerName)
	s.Driver, s.driverVar = Lookup(Driver)

	if v, name := Lookup(KubeInsecureSkipTLSVerify); name != "" {
		b, err := strconv.ParseBool(v)
		s.warn(err, name, v, "a boolean (true or false)", "false")
		s.KubeInsecureSkipTLSVerify = b
	}
	if v, name := Lookup(Debug); name != "" {
		b, err := strconv.ParseBool(v)
		s.warn(err, name, v, "a boolean (true or false)", "false")
		s.Debug = b
	}
	if v, name := Lookup(MaxHistory); name != "" {
		n, err := strconv.Atoi(v)
		s.warn(err, name, v, "an integer", strconv.Itoa(DefaultMaxHistory))
		if err == nil {
			s.MaxHistory = n
		}
	}
	if v, name := Lookup(BurstLimit); name != "" {
		n, err := strconv.Atoi(v)
		s.warn(err, name, v, "an integer", "lade's default")
		if err == nil {
			s.BurstLimit = n
		}
	}
	if v, name := Lookup(QPS); name != "" {
		f, err := strconv.ParseFloat(v, 32)
		s.warn(err, name, v, "a number", "lade's default")
		if err == nil {
			s.QPS = float32(f)
		}
	}
	return s
}

// IntOr is the integer value of setting name, or def when it is unset or
// not an integer (Load warns about those).
func IntOr(name string, def int) int {
	if v, variable := Lookup(name); variable != "" {
		if n, err := strconv.Atoi(v); err == nil {
			return n
		}
	}
	return def
}

func (s *Settings) warn(err error, variable, value, want, instead string) {
	if err != nil {
		s.Warnings = append(s.Warnings, fmt.Sprintf("ignoring %s=%q: not %s (using %s)", variable, value, want, instead))
	}
}

// splitGroups reads a comma-separated list of groups as Helm does: commas
// and spaces around the whole list are trimmed, the elements are not.
func splitGroups(v string) []string {
	v = strings.Trim(v, ", ")
	if v == "" {
		return nil
	}
	return strings.Split(v, ",")
}

// ErrUnsupportedDriver is returned by CheckDriver for a storage driver lade
// does not have.
var ErrUnsupportedDriver = errors.New("unsupported release storage driver")

// CheckDriver accepts the storage drivers lade has: Secrets ("secret",
// "secrets" or unset, Helm's default). ConfigMaps, memory and SQL storage,
// which Helm also offers, are refused, as is an unknown name.
func (s *Settings) CheckDriver() error {
	switch strings.ToLower(s.Driver) {
	case "", "secret", "secrets":
		return nil
	case "configmap", "configmaps", "memory", "sql":
		return fmt.Errorf("%s=%s: %w: lade stores releases only as Secrets, Helm's default (unset it, or set it to \"secret\")", s.driverVar, s.Driver, ErrUnsupportedDriver)
	}
	return fmt.Errorf("%s=%s: %w: unknown driver %q; lade stores releases only as Secrets (unset it, or set it to \"secret\")", s.driverVar, s.Driver, ErrUnsupportedDriver, s.Driver)
}
