// generations: a run of about four and a half seconds, so that a modern trace
// (Go 1.22+, which starts a generation every second) has five generations or
// more, with state that crosses their boundaries: a task and a region open
// for the whole run, regions and tasks begun in one second and ended in the
// next, a goroutine blocked in a read syscall for 1.5 s at a time, goroutines
// parked on a channel for seconds, a GOMAXPROCS change, and a steady trickle
// of goroutines, timers and garbage collections in every generation.
//
// Usage: generations OUTPUT.trace
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"syscall"
	"time"
)

var sink [][]byte

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: generations OUTPUT.trace")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(4)
	stop := startTrace(os.Args[1])

	ctx, whole := trace.NewTask(context.Background(), "whole run")
	outer := trace.StartRegion(ctx, "whole run region")
	done := make(chan struct{})
	var wg sync.WaitGroup

	// A goroutine blocked in read(2) on a blocking pipe, 1.5 s at a time.
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		fail(err)
	}
	wg.Add(1)
	go func() {
		defer wg.Done()
		buf := make([]byte, 1)
		for {
			if _, err := syscall.Read(fds[0], buf); err != nil {
				fail(err)
			}
			if buf[0] == 'q' {
				return
			}
		}
	}()
	wg.Add(1)
	go func() {
		defer wg.Done()
		for i := 0; i < 2; i++ {
			time.Sleep(1500 * time.Millisecond)
			if _, err := syscall.Write(fds[1], []byte{'x'}); err != nil {
				fail(err)
			}
		}
		<-done
		if _, err := syscall.Write(fds[1], []byte{'q'}); err != nil {
			fail(err)
		}
	}()

	// Goroutines parked on a channel for seconds, then woken one by one.
	wake := make(chan int)
	for i := 0; i < 8; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-wake
		}()
	}

	// Long tasks and regions: each spans about 700 ms, so that many cross a boundary.
	for i := 0; i < 3; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for k := 0; ; k++ {
				tctx, task := trace.NewTask(ctx, "long task")
				r := trace.StartRegion(tctx, "long region")
				select {
				case <-done:
					r.End()
					task.End()
					return
				case <-time.After(time.Duration(600+50*id) * time.Millisecond):
				}
				trace.Logf(tctx, "step", "worker %d step %d", id, k)
				r.End()
				task.End()
			}
		}(i)
	}

	// A steady trickle: a goroutine per tick doing a little work in a region, and allocation
	// enough for a GC every so often.
	wg.Add(1)
	go func() {
		defer wg.Done()
		tick := time.NewTicker(2 * time.Millisecond)
		defer tick.Stop()
		var inner sync.WaitGroup
		for n := 0; ; n++ {
			select {
			case <-done:
				inner.Wait()
				return
			case <-tick.C:
			}
			inner.Add(1)
			go func(n int) {
				defer inner.Done()
				trace.WithRegion(ctx, "tick", func() {
					buf := make([]byte, 8<<10)
					buf[n%len(buf)] = byte(n)
					if n%64 == 0 {
						sink = append(sink[len(sink)/2:], buf)
					}
				})
			}(n)
		}
	}()

	time.Sleep(2200 * time.Millisecond)
	runtime.GOMAXPROCS(2)
	for i := 0; i < 8; i++ {
		wake <- i
		time.Sleep(100 * time.Millisecond)
	}
	time.Sleep(1300 * time.Millisecond)
	runtime.GOMAXPROCS(4)
	time.Sleep(200 * time.Millisecond)
	close(done)
	wg.Wait()
	outer.End()
	whole.End()
	stop()
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
	fmt.Fprintln(os.Stderr, "generations:", err)
	os.Exit(1)
}
