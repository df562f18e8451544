// timers: timers and sleeps — time.Sleep of several lengths, time.After in
// select, a time.Ticker, time.Timer Stop/Reset, time.AfterFunc callbacks and
// context deadlines.
//
// Usage: timers OUTPUT.trace
package main

import (
	"context"
	"fmt"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: timers OUTPUT.trace")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(4)
	stop := startTrace(os.Args[1])

	var wg sync.WaitGroup
	// Sleepers with different periods.
	for i := 0; i < 32; i++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			for k := 0; k < 20; k++ {
				time.Sleep(time.Duration(id%8+1) * 250 * time.Microsecond)
			}
		}(i)
	}
	// A ticker consumer.
	wg.Add(1)
	go func() {
		defer wg.Done()
		t := time.NewTicker(2 * time.Millisecond)
		defer t.Stop()
		for k := 0; k < 30; k++ {
			<-t.C
		}
		t.Reset(time.Millisecond)
		for k := 0; k < 30; k++ {
			<-t.C
		}
	}()
	// time.After racing a slower channel.
	wg.Add(1)
	go func() {
		defer wg.Done()
		slow := make(chan int)
		for k := 0; k < 30; k++ {
			select {
			case <-slow:
			case <-time.After(time.Duration(k%3+1) * time.Millisecond):
			}
		}
	}()
	// Timers stopped before firing, and reset.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := 0; k < 60; k++ {
			t := time.NewTimer(50 * time.Millisecond)
			if !t.Stop() {
				<-t.C
			}
			t.Reset(300 * time.Microsecond)
			<-t.C
		}
	}()
	// AfterFunc callbacks run in their own goroutines.
	var fired sync.WaitGroup
	for k := 0; k < 100; k++ {
		fired.Add(1)
		time.AfterFunc(time.Duration(k)*300*time.Microsecond, fired.Done)
	}
	// Context deadlines.
	wg.Add(1)
	go func() {
		defer wg.Done()
		for k := 0; k < 10; k++ {
			ctx, cancel := context.WithTimeout(context.Background(), 2*time.Millisecond)
			<-ctx.Done()
			cancel()
		}
	}()
	fired.Wait()
	wg.Wait()

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
	fmt.Fprintln(os.Stderr, "timers:", err)
	os.Exit(1)
}
