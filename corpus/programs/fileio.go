// fileio: system calls and file I/O — files written in chunks, synced,
// re-read, renamed and removed in a scratch directory under os.TempDir()
// (removed at the end), a directory listing, an os.Pipe (non-blocking,
// served by the poller) and a raw pipe whose read blocks in the kernel.
//
// Usage: fileio OUTPUT.trace
package main

import (
	"bytes"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"runtime"
	"runtime/trace"
	"sync"
	"syscall"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: fileio OUTPUT.trace")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(4)
	dir, err := os.MkdirTemp(os.TempDir(), "gotrace-fileio-")
	if err != nil {
		fail(err)
	}
	defer os.RemoveAll(dir)
	stop := startTrace(os.Args[1])

	var wg sync.WaitGroup
	errs := make(chan error, 6)
	for w := 0; w < 6; w++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			if err := fileRoundTrip(dir, id); err != nil {
				errs <- err
			}
		}(w)
	}
	wg.Wait()
	select {
	case err := <-errs:
		stop()
		os.RemoveAll(dir)
		fail(err)
	default:
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		fail(err)
	}
	for _, e := range entries {
		if err := os.Remove(filepath.Join(dir, e.Name())); err != nil {
			fail(err)
		}
	}
	if err := osPipe(); err != nil {
		fail(err)
	}
	if err := blockingPipe(); err != nil {
		fail(err)
	}
	for i := 0; i < 200; i++ {
		syscall.Getpid()
	}

	stop()
	if err := os.RemoveAll(dir); err != nil {
		fail(err)
	}
}

func fileRoundTrip(dir string, id int) error {
	name := filepath.Join(dir, fmt.Sprintf("data-%d.bin", id))
	f, err := os.Create(name)
	if err != nil {
		return err
	}
	chunk := bytes.Repeat([]byte{byte('0' + id)}, 1024)
	for i := 0; i < 192; i++ {
		if _, err := f.Write(chunk); err != nil {
			return err
		}
		if i%64 == 63 {
			if err := f.Sync(); err != nil {
				return err
			}
		}
	}
	if err := f.Close(); err != nil {
		return err
	}
	g, err := os.Open(name)
	if err != nil {
		return err
	}
	buf := make([]byte, 512)
	total := 0
	for {
		n, err := g.Read(buf)
		total += n
		if err == io.EOF {
			break
		}
		if err != nil {
			return err
		}
	}
	g.Close()
	if total != 192*1024 {
		return fmt.Errorf("read %d bytes, want %d", total, 192*1024)
	}
	if _, err := os.Stat(name); err != nil {
		return err
	}
	moved := name + ".moved"
	if err := os.Rename(name, moved); err != nil {
		return err
	}
	return os.WriteFile(filepath.Join(dir, fmt.Sprintf("small-%d.txt", id)), []byte("hello\n"), 0o600)
}

// osPipe: os.Pipe descriptors are non-blocking, so waits go to the poller.
func osPipe() error {
	r, w, err := os.Pipe()
	if err != nil {
		return err
	}
	done := make(chan error, 1)
	go func() {
		n, err := io.Copy(io.Discard, r)
		if err == nil && n != 100*1000 {
			err = fmt.Errorf("pipe: read %d bytes", n)
		}
		done <- err
	}()
	msg := bytes.Repeat([]byte{'p'}, 1000)
	for i := 0; i < 100; i++ {
		if _, err := w.Write(msg); err != nil {
			return err
		}
		if i%25 == 0 {
			time.Sleep(time.Millisecond)
		}
	}
	w.Close()
	err = <-done
	r.Close()
	return err
}

// blockingPipe: a read on a raw (blocking) pipe parks its thread in the
// kernel until another goroutine writes, some milliseconds later.
func blockingPipe() error {
	var fds [2]int
	if err := syscall.Pipe(fds[:]); err != nil {
		return err
	}
	defer syscall.Close(fds[0])
	defer syscall.Close(fds[1])
	done := make(chan error, 1)
	go func() {
		buf := make([]byte, 16)
		for i := 0; i < 3; i++ {
			if _, err := syscall.Read(fds[0], buf); err != nil {
				done <- err
				return
			}
		}
		done <- nil
	}()
	for i := 0; i < 3; i++ {
		time.Sleep(5 * time.Millisecond)
		if _, err := syscall.Write(fds[1], []byte{'b'}); err != nil {
			return err
		}
	}
	return <-done
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
	fmt.Fprintln(os.Stderr, "fileio:", err)
	os.Exit(1)
}
