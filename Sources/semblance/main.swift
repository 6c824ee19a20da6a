print("semblance")
