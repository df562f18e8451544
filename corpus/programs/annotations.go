// annotations: user annotations — nested tasks (one ended on another
// goroutine, one never ended), regions via trace.WithRegion and
// trace.StartRegion (nested, and regions on many goroutines), and
// trace.Log / trace.Logf with empty, long (> 2000 bytes), unicode,
// multi-line and invalid UTF-8 strings as categories, messages and names.
//
// Usage: annotations OUTPUT.trace
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/trace"
	"strings"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: annotations OUTPUT.trace")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(4)
	stop := startTrace(os.Args[1])

	unicode := "naïve — 日本語 🚀"
	invalid := "bad bytes: \xff\xfe\xc3(\xe2\x82 end"
	long := strings.Repeat("0123456789abcdef", 160)     // 2560 bytes
	longUnicode := strings.Repeat("ünïcødé 日本 🚀 ", 120) // > 2000 bytes

	ctx, root := trace.NewTask(context.Background(), "root task")
	trace.Log(ctx, "phase", "start")
	trace.Log(ctx, "", "empty category")
	trace.Log(ctx, "empty message", "")
	trace.Log(ctx, "unicode", unicode)
	trace.Log(ctx, unicode, "unicode category")
	trace.Log(ctx, "invalid utf-8", invalid)
	trace.Log(ctx, "long", long)
	trace.Log(ctx, "long unicode", longUnicode)
	trace.Log(ctx, long, "long category")
	trace.Log(ctx, "multi-line", "first line\nsecond line\ttabbed")
	trace.Logf(ctx, "formatted", "%d items, %.2f%% done, %q", 42, 99.5, unicode)

	// Regions with WithRegion, nested, on the main goroutine.
	trace.WithRegion(ctx, "outer region", func() {
		trace.WithRegion(ctx, "inner region", func() {
			time.Sleep(200 * time.Microsecond)
		})
		trace.WithRegion(ctx, unicode, func() {})
		trace.WithRegion(ctx, long, func() {})
		trace.WithRegion(ctx, invalid, func() {})
	})

	// Child tasks worked on by several goroutines, each in regions.
	var wg sync.WaitGroup
	for i := 0; i < 16; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			cctx, task := trace.NewTask(ctx, fmt.Sprintf("worker %d", id))
			defer task.End()
			for k := 0; k < 10; k++ {
				r := trace.StartRegion(cctx, "step")
				trace.Logf(cctx, "progress", "worker %d step %d", id, k)
				busy(2000)
				if k%2 == 1 {
					time.Sleep(100 * time.Microsecond)
				}
				r.End()
			}
		}(i)
	}
	wg.Wait()

	// A task created here and ended by another goroutine.
	hctx, handoff := trace.NewTask(ctx, "handed-off task")
	trace.Log(hctx, "owner", "main")
	done := make(chan struct{})
	go func() {
		trace.WithRegion(hctx, "finishing elsewhere", func() { busy(1000) })
		trace.Log(hctx, "owner", "helper goroutine")
		handoff.End()
		close(done)
	}()
	<-done

	// Names with odd content, and a deep nesting of tasks.
	for _, name := range []string{unicode, invalid, long, ""} {
		_, t := trace.NewTask(ctx, name)
		t.End()
	}
	nctx := ctx
	var ends []*trace.Task
	for d := 0; d < 6; d++ {
		var t *trace.Task
		nctx, t = trace.NewTask(nctx, fmt.Sprintf("depth %d", d))
		ends = append(ends, t)
	}
	trace.Log(nctx, "deep", "innermost")
	for i := len(ends) - 1; i >= 0; i-- {
		ends[i].End()
	}

	// Logs and regions without a task (background context).
	trace.Log(context.Background(), "no task", "background log")
	trace.WithRegion(context.Background(), "no task region", func() { busy(500) })

	// A task and a region still open when tracing stops.
	_, unfinished := trace.NewTask(ctx, "never ended")
	open := trace.StartRegion(ctx, "open at stop")

	root.End()
	stop()
	open.End()
	unfinished.End()
}

func busy(n int) uint32 {
	x := uint32(n)
	for i := 0; i < n; i++ {
		x = x*1664525 + 1013904223
	}
	return x
}

func startTrace(path string) func() {
	f, err := os.Create(path)
	if err != nil {
		fail(err)
	}
	if err := trace.Start(f); err != nil {
		fail(err)
	}
	return func() {
		trace.Stop()
		if err := f.Close(); err != nil {
			fail(err)
		}
	}
}

func fail(err error) {
	fmt.Fprintln(os.Stderr, "annotations:", err)
	os.Exit(1)
}
