// Declarations only: see include/FuzzDriver.h. SwiftPM wants a source file in every C target.
#include "FuzzDriver.h"
