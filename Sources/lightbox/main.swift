#if canImport(Glibc)
import Glibc
#endif
import DICOM

func mainHelp() -> String {
    var s = """
    lightbox: an open-source PACS.

    Usage: lightbox COMMAND [options] [arguments]

    Commands:

    """
    for c in commands { s += "  " + c.name.padding(to: 12) + " " + c.summary + "\n" }
    s += "\nRun 'lightbox COMMAND --help' for a command's options.\n"
    return s
}

func runMain() -> Int32 {
    var args = Array(CommandLine.arguments.dropFirst())
    guard let first = args.first else {
        printError(mainHelp())
        return 2
    }
    if first == "--help" || first == "-h" || first == "help" {
        if args.count > 1, let c = commands.first(where: { $0.name == args[1] }) {
            Output.write(c.help)
        } else {
            Output.write(mainHelp())
        }
        Output.flush()
        return 0
    }
    if first == "--version" {
        Output.line("lightbox \(DICOMFile.implementationVersionName)")
        Output.flush()
        return 0
    }
    guard let command = commands.first(where: { $0.name == first }) else {
        printError("lightbox: unknown command '\(first)' (see 'lightbox --help')")
        return 2
    }
    args.removeFirst()
    if args.contains("--help") || args.contains("-h") {
        Output.write(command.help)
        Output.flush()
        return 0
    }
    do {
        let parsed = try command.parse(args)
        return try command.run(parsed)
    } catch let e as UsageError {
        Output.flush()
        printError("lightbox \(command.name): \(e.description)")
        return 2
    } catch {
        Output.flush()
        printError("lightbox \(command.name): \(error)")
        return 1
    }
}

// OpenSSL writes TLS records with write(2), which raises SIGPIPE when the peer has already closed (a server that
// refused our certificate, say). The default action kills the process silently; ignored, the write fails with EPIPE
// and the command reports it like any other network error. CivetWeb does the same for the HTTP listener.
signal(SIGPIPE, SIG_IGN)
exit(runMain())
