/* currency.h — ISO 4217 codes (pure). */
#ifndef ATTAIN_ORG_CURRENCY_H
#define ATTAIN_ORG_CURRENCY_H

#include <stdbool.h>

/* True when code is an active ISO 4217 currency code ("USD", "EUR", ...). */
bool currency_known(const char *code);

#endif
