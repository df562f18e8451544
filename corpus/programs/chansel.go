// chansel: channels and select — a fan-out/fan-in pipeline, unbuffered
// ping-pong, a full buffered channel, non-blocking sends with default,
// select with timeouts, nil-channel cases and close used as a broadcast.
//
// Usage: chansel OUTPUT.trace
package main

import (
	"fmt"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: chansel OUTPUT.trace")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(4)
	stop := startTrace(os.Args[1])

	total := pipeline(2000)
	pingPong(500)
	fullBuffer(200)
	dropped := nonBlocking(1000)
	timeouts()
	nilCases()
	broadcast(50)

	stop()
	if total < 0 || dropped < 0 {
		fmt.Println(total, dropped)
	}
}

// pipeline: one generator, four squaring workers, one merger.
func pipeline(n int) int {
	src := make(chan int)
	go func() {
		for i := 0; i < n; i++ {
			src <- i
		}
		close(src)
	}()
	outs := make([]chan int, 4)
	for w := range outs {
		outs[w] = make(chan int, 8)
		go func(out chan<- int) {
			for v := range src {
				out <- v * v
			}
			close(out)
		}(outs[w])
	}
	merged := make(chan int)
	var wg sync.WaitGroup
	for _, c := range outs {
		wg.Add(1)
		go func(in <-chan int) {
			defer wg.Done()
			for v := range in {
				merged <- v
			}
		}(c)
	}
	go func() {
		wg.Wait()
		close(merged)
	}()
	sum := 0
	for v := range merged {
		sum += v
	}
	return sum
}

// pingPong: two goroutines hand a token back and forth on unbuffered channels.
func pingPong(rounds int) {
	ping, pong := make(chan int), make(chan int)
	go func() {
		for v := range ping {
			pong <- v + 1
		}
		close(pong)
	}()
	v := 0
	for i := 0; i < rounds; i++ {
		ping <- v
		v = <-pong
	}
	close(ping)
	<-pong
}

// fullBuffer: a fast producer blocks on a small buffer drained slowly.
func fullBuffer(n int) {
	c := make(chan int, 4)
	done := make(chan struct{})
	go func() {
		for range c {
			if len(c) == cap(c) {
				time.Sleep(50 * time.Microsecond)
			}
		}
		close(done)
	}()
	for i := 0; i < n; i++ {
		c <- i
	}
	close(c)
	<-done
}

// nonBlocking: select with a default case never blocks; count what is dropped.
func nonBlocking(n int) int {
	c := make(chan int, 16)
	quit := make(chan struct{})
	got := make(chan int)
	go func() {
		k := 0
		for {
			select {
			case <-c:
				k++
			case <-quit:
				got <- k
				return
			}
		}
	}()
	dropped := 0
	for i := 0; i < n; i++ {
		select {
		case c <- i:
		default:
			dropped++
		}
	}
	close(quit)
	<-got
	return dropped
}

// timeouts: select between a reply that comes late or early and a timer.
func timeouts() {
	for i := 0; i < 20; i++ {
		reply := make(chan int, 1)
		delay := time.Duration(i%4) * time.Millisecond
		go func(d time.Duration) {
			time.Sleep(d)
			reply <- 1
		}(delay)
		select {
		case <-reply:
		case <-time.After(1500 * time.Microsecond):
		}
	}
}

// nilCases: a select whose cases are switched off by setting channels to nil.
func nilCases() {
	a, b := make(chan int), make(chan int)
	go func() {
		for i := 0; i < 100; i++ {
			a <- i
		}
		close(a)
	}()
	go func() {
		for i := 0; i < 100; i++ {
			b <- -i
		}
		close(b)
	}()
	for a != nil || b != nil {
		select {
		case _, ok := <-a:
			if !ok {
				a = nil
			}
		case _, ok := <-b:
			if !ok {
				b = nil
			}
		}
	}
}

// broadcast: many goroutines wait in select on one channel; closing it wakes all.
func broadcast(n int) {
	start := make(chan struct{})
	never := make(chan int)
	var wg sync.WaitGroup
	for i := 0; i < n; i++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			select {
			case <-start:
			case <-never:
			}
		}()
	}
	time.Sleep(2 * time.Millisecond)
	close(start)
	wg.Wait()
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
	fmt.Fprintln(os.Stderr, "chansel:", err)
	os.Exit(1)
}
