print("spanwatch")
