#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// `semblance-crash-worker serve`: starts workers on request, so that the test process
/// itself spawns almost nothing.
///
/// Why: between the fork and the exec of a spawned child, the child holds copies of all the
/// parent's descriptors, and with them the flock of every collection the parent has open
/// (O_CLOEXEC closes them only at the exec). A test process that spawns a thousand children
/// makes any other test that closes a collection and at once reopens it meet `.locked` now
/// and then. This process holds no collection, so its children inherit nothing of the kind.
///
/// Protocol, one line each way per step, on stdin and stdout:
///
///     → <stdout file> TAB <stderr file> TAB <argument> TAB <argument> …
///     ← pid <pid>                          as soon as the worker runs
///     ← exit <status> | signal <number>    when it ends
///
/// The worker is this same executable, with stdin from /dev/null and its stdout and stderr
/// written to the named files. Requests are served one at a time; EOF on stdin ends it.
enum Spawner {
    static func serve() -> Never {
        let executable = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        let environment = ProcessInfo.processInfo.environment.map { "\($0.key)=\($0.value)" }
        while let line = readLine(strippingNewline: true) {
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false).map(String.init)
            guard fields.count >= 2 else {
                Output.line("error bad request")
                continue
            }
            #if canImport(Glibc)
            var actions = posix_spawn_file_actions_t()
            #else
            var actions: posix_spawn_file_actions_t?
            #endif
            posix_spawn_file_actions_init(&actions)
            defer { posix_spawn_file_actions_destroy(&actions) }
            posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
            posix_spawn_file_actions_addopen(&actions, 1, fields[0], O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            posix_spawn_file_actions_addopen(&actions, 2, fields[1], O_WRONLY | O_CREAT | O_TRUNC, 0o600)
            let argv = ([executable] + fields.dropFirst(2)).map { strdup($0) } + [nil]
            let envp = environment.map { strdup($0) } + [nil]
            defer { (argv + envp).forEach { free($0) } }
            var pid: pid_t = 0
            let error = posix_spawn(&pid, executable, &actions, nil, argv, envp)
            guard error == 0 else {
                Output.line("error posix_spawn: \(String(cString: strerror(error)))")
                continue
            }
            Output.line("pid \(pid)")
            var status: Int32 = 0
            while waitpid(pid, &status, 0) < 0 && errno == EINTR {}
            // WIFEXITED / WTERMSIG are macros; the low 7 bits are the signal, 0 for an exit.
            let signal = status & 0x7F
            Output.line(signal == 0 ? "exit \((status >> 8) & 0xFF)" : "signal \(signal)")
        }
        exit(0)
    }
}
