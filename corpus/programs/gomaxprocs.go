// gomaxprocs: runtime.GOMAXPROCS changed repeatedly (1, 4, 2, 3, 1, 4, 2)
// while CPU-bound, sleeping and channel-bound goroutines keep running.
//
// Usage: gomaxprocs OUTPUT.trace
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"sync/atomic"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: gomaxprocs OUTPUT.trace")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(2)
	stop := startTrace(os.Args[1])

	var quit int32
	var wg sync.WaitGroup
	var work int64
	// CPU-bound workers that yield now and then.
	for w := 0; w < 4; w++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			x := uint32(id)
			for n := 1; atomic.LoadInt32(&quit) == 0; n++ {
				for k := 0; k < 20000; k++ {
					x = x*1664525 + 1013904223
				}
				atomic.AddInt64(&work, int64(x>>31))
				if n%(id+2) == 0 {
					runtime.Gosched()
				}
			}
		}(w)
	}
	// A sleeper and a channel pair.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for atomic.LoadInt32(&quit) == 0 {
			time.Sleep(time.Millisecond)
		}
	}()
	ping := make(chan int)
	wg.Add(2)
	go func() {
		defer wg.Done()
		for atomic.LoadInt32(&quit) == 0 {
			ping <- 1
			time.Sleep(300 * time.Microsecond)
		}
		close(ping)
	}()
	go func() {
		defer wg.Done()
		for range ping {
		}
	}()

	for _, n := range []int{1, 4, 2, 3, 1, 4, 2} {
		time.Sleep(20 * time.Millisecond)
		runtime.GOMAXPROCS(n)
	}
	time.Sleep(20 * time.Millisecond)
	atomic.StoreInt32(&quit, 1)
	wg.Wait()

	stop()
	if work < 0 {
		fmt.Println(work)
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
	fmt.Fprintln(os.Stderr, "gomaxprocs:", err)
	os.Exit(1)
}
