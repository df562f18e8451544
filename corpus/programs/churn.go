// churn: waves of many short-lived goroutines, plus a chain of goroutines
// where each one starts the next and exits at once.
//
// Usage: churn OUTPUT.trace
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"sync/atomic"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: churn OUTPUT.trace")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(4)
	stop := startTrace(os.Args[1])

	var sum int64
	for wave := 0; wave < 16; wave++ {
		var wg sync.WaitGroup
		n := 100 + 10*wave
		for i := 0; i < n; i++ {
			wg.Add(1)
			go func(seed int) {
				defer wg.Done()
				x := uint32(seed)
				for k := 0; k < 300; k++ {
					x = x*1664525 + 1013904223
				}
				atomic.AddInt64(&sum, int64(x&1))
				if seed%5 == 0 {
					runtime.Gosched()
				}
			}(wave*1000 + i)
		}
		wg.Wait()
	}

	// Goroutines that create goroutines: a tree of depth 6, fan-out 3.
	var tree sync.WaitGroup
	var spawn func(depth int)
	spawn = func(depth int) {
		defer tree.Done()
		if depth == 0 {
			atomic.AddInt64(&sum, 1)
			return
		}
		for c := 0; c < 3; c++ {
			tree.Add(1)
			go spawn(depth - 1)
		}
	}
	tree.Add(1)
	go spawn(6)
	tree.Wait()

	// A relay: each goroutine starts its successor and ends.
	done := make(chan struct{})
	var relay func(left int)
	relay = func(left int) {
		if left == 0 {
			close(done)
			return
		}
		go relay(left - 1)
	}
	go relay(300)
	<-done

	stop()
	if sum < 0 {
		fmt.Println(sum)
	}
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
	fmt.Fprintln(os.Stderr, "churn:", err)
	os.Exit(1)
}
