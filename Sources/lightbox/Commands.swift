/// The commands of `lightbox`, in the order `lightbox --help` lists them.
let commands: [Command] = [serveCommand, importCommand, verifyCommand, reindexCommand, dumpCommand, checkCommand, transcodeCommand, renderCommand, usersCommand, demoCommand, uidCommand, echoCommand, sendCommand, receiveCommand, findCommand, moveCommand, getCommand]
