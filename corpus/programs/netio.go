// netio: network I/O on the loopback interface only — a TCP echo server with
// several concurrent clients (small and large messages, so reads block in the
// network poller), a read deadline that expires, and a UDP echo exchange.
//
// Usage: netio OUTPUT.trace
package main

import (
	"bufio"
	"bytes"
	"fmt"
	"io"
	"net"
	"os"
	"runtime"
	"runtime/trace"
	"sync"
	"time"
)

func main() {
	if len(os.Args) != 2 {
		fmt.Fprintln(os.Stderr, "usage: netio OUTPUT.trace")
		os.Exit(2)
	}
	runtime.GOMAXPROCS(4)
	stop := startTrace(os.Args[1])

	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		fail(err)
	}
	var conns sync.WaitGroup
	go serveTCP(ln, &conns)

	var wg sync.WaitGroup
	for c := 0; c < 6; c++ {
		wg.Add(1)
		go func(id int) {
			defer wg.Done()
			if err := tcpClient(ln.Addr().String(), id, 40); err != nil {
				fail(err)
			}
		}(c)
	}
	wg.Wait()
	if err := deadline(ln.Addr().String()); err != nil {
		fail(err)
	}
	ln.Close()
	conns.Wait()

	if err := udpEcho(50); err != nil {
		fail(err)
	}

	stop()
}

func serveTCP(ln net.Listener, conns *sync.WaitGroup) {
	for {
		c, err := ln.Accept()
		if err != nil {
			return // listener closed
		}
		conns.Add(1)
		go func(c net.Conn) {
			defer conns.Done()
			defer c.Close()
			// Echo everything back, in the chunks it arrives in.
			buf := make([]byte, 8192)
			for {
				n, err := c.Read(buf)
				if n > 0 {
					if _, werr := c.Write(buf[:n]); werr != nil {
						return
					}
				}
				if err != nil {
					return
				}
			}
		}(c)
	}
}

func tcpClient(addr string, id, rounds int) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	r := bufio.NewReader(c)
	for i := 0; i < rounds; i++ {
		size := 16 + (id*977+i*131)%200
		if i%10 == 9 {
			size = 64 << 10 // larger than socket buffers: partial reads and writes
		}
		msg := bytes.Repeat([]byte{byte('a' + (i+id)%26)}, size)
		msg[size-1] = '\n'
		errc := make(chan error, 1)
		go func() {
			_, err := c.Write(msg)
			errc <- err
		}()
		line, err := r.ReadBytes('\n')
		if err != nil {
			return err
		}
		if err := <-errc; err != nil {
			return err
		}
		if !bytes.Equal(line, msg) {
			return fmt.Errorf("client %d: echo mismatch in round %d", id, i)
		}
	}
	return nil
}

// deadline: a read with a short deadline on a connection nobody writes to.
func deadline(addr string) error {
	c, err := net.Dial("tcp", addr)
	if err != nil {
		return err
	}
	defer c.Close()
	c.SetReadDeadline(time.Now().Add(5 * time.Millisecond))
	buf := make([]byte, 1)
	_, err = c.Read(buf)
	if ne, ok := err.(net.Error); !ok || !ne.Timeout() {
		return fmt.Errorf("expected a timeout, got %v", err)
	}
	// Clear the deadline, send one byte, read the echo.
	c.SetReadDeadline(time.Time{})
	if _, err := c.Write([]byte{'x'}); err != nil {
		return err
	}
	_, err = io.ReadFull(c, buf)
	return err
}

func udpEcho(n int) error {
	srv, err := net.ListenPacket("udp", "127.0.0.1:0")
	if err != nil {
		return err
	}
	defer srv.Close()
	go func() {
		buf := make([]byte, 2048)
		for {
			k, from, err := srv.ReadFrom(buf)
			if err != nil {
				return
			}
			srv.WriteTo(buf[:k], from)
		}
	}()
	c, err := net.Dial("udp", srv.LocalAddr().String())
	if err != nil {
		return err
	}
	defer c.Close()
	buf := make([]byte, 2048)
	for i := 0; i < n; i++ {
		msg := bytes.Repeat([]byte{'u'}, 10+i*20)
		if _, err := c.Write(msg); err != nil {
			return err
		}
		c.SetReadDeadline(time.Now().Add(time.Second))
		k, err := c.Read(buf)
		if err != nil {
			return err
		}
		if k != len(msg) {
			return fmt.Errorf("udp: got %d bytes, want %d", k, len(msg))
		}
	}
	return nil
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
	fmt.Fprintln(os.Stderr, "netio:", err)
	os.Exit(1)
}
