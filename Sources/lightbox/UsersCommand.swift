#if canImport(Glibc)
import Glibc
#endif
import Accounts
import Server
import Transport

/// `lightbox users`: the web server's users, from the shell (users.sqlite in the data folder).
let usersCommand = Command(
    name: "users",
    summary: "Manage the web server's users: add (password read from standard input), list, remove.",
    usage: "users add NAME --role admin|radiologist|technologist|referrer [--data DIR] | users list [--data DIR] | users remove NAME [--data DIR]",
    options: archiveLocationOptions + [
        .init(name: "--role", short: "-r", value: "ROLE", help: "For add: admin, radiologist, technologist or referrer."),
    ],
    details: """
    The password is the first line of standard input (at least 8 characters), so that it never appears in a process
    list or a shell history: `printf '%s\\n' "$PASSWORD" | lightbox users add ada --role radiologist`.
    Exit status: 0 on success, 1 when the user exists (add) or does not (remove), 2 for a usage error.
    """,
    run: runUsers)

func runUsers(_ args: ParsedArguments) throws -> Int32 {
    guard let action = args.positional.first else { throw UsageError(description: "users needs add, list or remove") }
    let settings = try archiveSettings(args)
    do { try makeDirectories(settings.dataFolder) } catch {
        printError("lightbox users: cannot create \(settings.dataFolder): \(error)")
        return 1
    }
    let store: SQLiteUserStore
    do { store = try SQLiteUserStore(path: settings.dataFolder + "/users.sqlite") } catch {
        printError("lightbox users: \(error)")
        return 1
    }
    switch action {
    case "add":
        guard args.positional.count == 2 else { throw UsageError(description: "users add needs exactly one NAME") }
        guard let roleName = args.value("--role") else { throw UsageError(description: "users add needs --role ROLE") }
        guard let role = Role(rawValue: roleName) else {
            throw UsageError(description: "--role is one of \(Role.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard let password = readLine(strippingNewline: true), !password.isEmpty else {
            printError("lightbox users: the password is read from standard input, and none came")
            return 1
        }
        do { try store.add(name: args.positional[1], role: role, password: password) } catch {
            printError("lightbox users: \(error)")
            return 1
        }
        Output.line("added \(args.positional[1]) (\(role.rawValue))")
    case "list":
        do {
            for user in try store.list() { Output.line("\(user.name.padding(to: 24)) \(user.role.rawValue)") }
        } catch {
            printError("lightbox users: \(error)")
            return 1
        }
    case "remove":
        guard args.positional.count == 2 else { throw UsageError(description: "users remove needs exactly one NAME") }
        do {
            guard try store.remove(name: args.positional[1]) else {
                printError("lightbox users: no user \(args.positional[1])")
                return 1
            }
        } catch {
            printError("lightbox users: \(error)")
            return 1
        }
        Output.line("removed \(args.positional[1])")
    default:
        throw UsageError(description: "users takes add, list or remove, not \(action)")
    }
    Output.flush()
    return 0
}
