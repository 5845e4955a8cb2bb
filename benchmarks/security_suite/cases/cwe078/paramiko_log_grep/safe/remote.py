import shlex

import paramiko


def grep_logs(host: str, needle: str) -> str:
    client = paramiko.SSHClient()
    client.load_system_host_keys()
    client.connect(host, username="support")
    try:
        command = f"grep -h -e {shlex.quote(needle)} /var/log/app/*.log | tail -200"
        _stdin, stdout, _stderr = client.exec_command(command)
        return stdout.read().decode()
    finally:
        client.close()
