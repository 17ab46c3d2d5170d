package registry

import (
	"os"
	"testing"

	"github.com/sirupsen/logrus"
)

func TestMain(m *testing.M) {
	// The in-process registry logs every refused request (the tests provoke
	// many) through logrus' standard logger.
	logrus.SetLevel(logrus.PanicLevel)
	os.Exit(m.Run())
}
