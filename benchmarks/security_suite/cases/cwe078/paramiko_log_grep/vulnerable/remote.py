import paramiko


def grep_logs(host: str, needle: str) -> str:
    client = paramiko.SSHClient()
    client.load_system_host_keys()
    client.connect(host, username="support")
    try:
        _stdin, stdout, _stderr = client.exec_command(f"grep -h '{needle}' /var/log/app/*.log | tail -200")
        return stdout.read().decode()
    finally:
        client.close()
