import sys

# Sum every integer on stdin.
print(sum(int(x) for x in sys.stdin.read().split()))
