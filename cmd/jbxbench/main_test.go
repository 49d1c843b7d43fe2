package main

import (
	"testing"

	"go.uber.org/goleak"
)

// TestMain fails the package's tests if any goroutine outlives them: a
// leaked child-process watcher, server or connection is a bug here.
func TestMain(m *testing.M) { goleak.VerifyTestMain(m) }
