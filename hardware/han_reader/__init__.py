"""HAN-port reader: TSS721A powered by the meter, optocoupler to a 3.3 V UART."""
