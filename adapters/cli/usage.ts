/** `carapace-sky --help`: kept out of main.ts, which every command (and every `status`) loads. */
export const USAGE = `Usage: carapace-sky <command> [options]

Commands:
  status [--json]     what is installed under CARAPACE_HOME
  install [--json]    install uv and SkyPilot if needed (progress on the terminal)
  which               the sky that would run: the managed one, then PATH
  demo [--json]       a full install from a local stand-in release into a temporary home
  serve [--host H] [--port P]  the gatekeeper HTTP service (default 127.0.0.1:8787)
  graph [--format F]  the install statechart from the machine: mermaid (default), dot or json
  upgrade [--json]    upgrade SkyPilot (uv tool upgrade), and uv when the pinned version changed
  uninstall [--all]   remove SkyPilot and its link; --all also the managed uv and Pythons
  doctor [--json]     platform, paths, versions, PATH, proxy and CA, disk, the last error; exit 1 on problems

Options:
  --home DIR          CARAPACE_HOME (default ~/.carapace)
  -h, --help          this help
`;
