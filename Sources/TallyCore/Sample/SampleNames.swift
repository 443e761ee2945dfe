import Foundation
import TallyModel

/// The word lists the sample district's people and places are built from. Every list is written
/// here (no real roster anywhere); names and street lines are combined at random, so a million
/// students have hundreds of thousands of distinct street lines and tens of thousands of names
/// while each list stays short.
enum SampleNames {
    static func list(_ text: String) -> [String] { text.split(separator: "|").map(String.init) }

    /// Heritage groups, with their share of California's public-school students (CDE
    /// DataQuest 2023-24, rounded) and what goes with each in the sample: names, race codes,
    /// how often a non-English home language is spoken (relative to the district's average),
    /// and which languages.
    struct Heritage {
        let name: String
        let share: Double
        let hispanic: Bool
        let races: [String]
        let female: [String], male: [String], last: [String]
        /// Relative to the district's EL/IFEP/RFEP shares: 1.0 is the average.
        let homeLanguage: Double
        /// (ISO 639-2/639-3 candidates as CALPADS may spell them, two-digit code before 2023-24, weight)
        let languages: [(codes: [String], old: String, weight: Double)]
        let countries: [String]
    }

    static let hispanicFemale = list(
        "Sofia|Camila|Valentina|Isabella|Ximena|Mia|Victoria|Natalia|Daniela|Valeria|Lucia|Mariana|Gabriela|Andrea|Fernanda|Alejandra|Guadalupe|Jimena|Renata|Emily|Ashley|Genesis|Angelina|Maria|Ana|Esmeralda|Yaretzi|Itzel|Leslie|Jazmin|Paola|Karla|Abigail|Luciana|Regina|Elena|Brianna|Vanessa|Arely|Dulce|Melanie|Aylin|Adriana|Yesenia|Rocio|Marisol|Carolina|Araceli|Noemi|Estrella|María José|Ana Sofía"
    )
    static let hispanicMale = list(
        "Mateo|Santiago|Sebastian|Diego|Jose|Angel|Luis|Carlos|Juan|Miguel|Alejandro|Jesus|Adrian|Leonardo|Emiliano|Daniel|Gael|Julian|Fernando|Ricardo|Eduardo|Jorge|Francisco|Antonio|Oscar|Israel|Cristian|Bryan|Kevin|Jonathan|Alexis|Ivan|Ruben|Rafael|Hector|Sergio|Andres|Manuel|Javier|Mauricio|Joaquin|Axel|Iker|Damian|Elias|Matías|José Luis|Juan Pablo"
    )
    static let hispanicLast = list(
        "Garcia|Hernandez|Lopez|Martinez|Gonzalez|Rodriguez|Perez|Sanchez|Ramirez|Flores|Torres|Rivera|Gomez|Diaz|Reyes|Cruz|Morales|Ortiz|Gutierrez|Chavez|Ramos|Ruiz|Alvarez|Mendoza|Castillo|Jimenez|Vasquez|Moreno|Romero|Herrera|Medina|Aguilar|Vargas|Castro|Guzman|Juarez|Salazar|Rojas|Contreras|Dominguez|Luna|Mejia|Estrada|Avila|Soto|Delgado|Cervantes|Ochoa|Padilla|Ibarra|Velasquez|Fuentes|Nuñez|Muñoz|Peña|Cárdenas|Zamora|Rosales|Pacheco|Valdez|Espinoza|Navarro|Camacho|Maldonado|Solis|Trujillo|Orozco|Villanueva|Figueroa|Sandoval|Carrillo|Cortez|Barajas|Arellano|Magaña|Bautista|Zavala|Esparza|De La Cruz|De León|Del Toro"
    )
    static let whiteFemale = list(
        "Olivia|Emma|Charlotte|Amelia|Ava|Harper|Evelyn|Abigail|Ella|Scarlett|Grace|Chloe|Chloé|Lily|Hannah|Madison|Avery|Sophie|Claire|Nora|Zoe|Audrey|Hazel|Violet|Stella|Lucy|Ellie|Anna|Alice|Ruby|Natalie|Sarah|Elizabeth|Katherine|Margaret|Anahit|Ani|Mariam|Sara|Nina"
    )
    static let whiteMale = list(
        "Liam|Noah|Oliver|James|William|Benjamin|Lucas|Henry|Theodore|Jack|Levi|Owen|Wyatt|Ethan|Hudson|Logan|Samuel|Jacob|Caleb|Nathan|Ryan|Dylan|Connor|Tyler|Austin|Cole|Hunter|Gavin|Luke|Andrew|Thomas|Charles|Michael|David|Aram|Arman|Davit|Narek|Ali|Artem"
    )
    static let whiteLast = list(
        "Smith|Johnson|Williams|Brown|Jones|Miller|Davis|Wilson|Anderson|Taylor|Thomas|Moore|Martin|Jackson|Thompson|White|Harris|Clark|Lewis|Robinson|Walker|Young|Allen|King|Wright|Scott|Hill|Green|Adams|Baker|Nelson|Carter|Mitchell|Roberts|Campbell|Parker|Evans|Edwards|Collins|Stewart|Morris|Murphy|Cook|Rogers|Morgan|Cooper|Peterson|Reed|Bailey|Kelly|Howard|Sullivan|O'Neil|O'Brien|McCarthy|Schmidt|Mueller|Novak|Petrov|Ivanov|Kovalenko|Sargsyan|Petrosyan|Hovhannisyan|Grigoryan|Karapetyan|Haddad|Nasser|Farah|Rahimi|Hosseini"
    )
    static let blackFemale = list(
        "Aaliyah|Imani|Zuri|Nia|Jada|Kennedy|Aria|Destiny|Skylar|Maya|Amara|Jasmine|Kiara|Nevaeh|Layla|Taylor|Brooklyn|Amani|Hana|Sagal")
    static let blackMale = list(
        "Jayden|Malik|Elijah|Isaiah|Josiah|Jaylen|Darius|Xavier|Cameron|Marcus|Andre|Terrell|Micah|Kofi|Tariq|Jamal|Khalil|Omari|Abdi|Yonas"
    )
    static let blackLast = list(
        "Washington|Jefferson|Banks|Freeman|Gaines|Coleman|Holmes|Brooks|Hayes|Bryant|Simmons|Jenkins|Powell|Wallace|Dixon|Mensah|Okafor|Adeyemi|Tesfaye|Haile|Mohamed|Abdullahi|Bekele|Ndiaye"
    )
    static let asianFemale = list(
        "Emily|Chloe|Grace|Mei|Lily|Anh|Linh|Ngoc|Thao|Vy|Mai|Jia|Xinyi|Yuna|Seo-yeon|Ji-woo|Hana|Sakura|Priya|Ananya|Diya|Aisha|Mahnoor|Simran|Navneet|Pa Nhia|Mai Yer|Sokha|Malee|Yuki"
    )
    static let asianMale = list(
        "Ethan|Ryan|Kevin|Justin|Brandon|Minh|Khoa|Huy|Bao|Duc|Wei|Hao|Jun|Yichen|Min-jun|Ji-ho|Seo-jun|Haruto|Ren|Arjun|Aarav|Rohan|Vihaan|Ishaan|Harjot|Zain|Bilal|Tou|Pao|Vanna"
    )
    static let asianLast = list(
        "Nguyen|Tran|Le|Pham|Hoang|Vu|Vo|Dang|Bui|Do|Ngo|Duong|Chen|Wang|Li|Zhang|Liu|Huang|Wu|Lin|Yang|Zhou|Wong|Chan|Leung|Kim|Lee|Park|Choi|Jung|Kang|Cho|Tanaka|Yamamoto|Nakamura|Sato|Patel|Singh|Sharma|Gupta|Kumar|Sandhu|Gill|Khan|Ahmed|Vang|Xiong|Moua|Thao|Lor|Sok|Chhay|Phommachanh"
    )
    static let filipinoFemale = list("Angel|Princess|Nicole|Kristine|Mary Grace|Joy|Alyssa|Bea|Jasmine|Trisha|Camille|Andrea")
    static let filipinoMale = list("John Paul|Mark|Christian|Joshua|Jericho|Paolo|Miguel|Carlo|Rafael|Jose|Gabriel|Adrian")
    static let filipinoLast = list(
        "Santos|Reyes|Cruz|Bautista|Ocampo|Garcia|Mendoza|Dela Cruz|Villanueva|Ramos|Aquino|Castillo|Soriano|Manalo|Pascual|Domingo|Tolentino|Macaraeg|Dizon|Lim"
    )
    static let islanderFemale = list("Leilani|Malia|Kalani|Moana|Sina|Ana|Lupe|Mele")
    static let islanderMale = list("Kai|Keoni|Sione|Tevita|Manu|Koa|Tui|Ioane")
    static let islanderLast = list("Faleolo|Tuilagi|Fonoti|Mahe|Kealoha|Fifita|Taufa|Aumua|Leota|Kaneshiro")
    static let nativeFemale = list("Aiyana|Winona|Tala|Kaya|Nayeli|Dakota|Halona|Sage")
    static let nativeMale = list("Hunter|Dakota|Koda|Ahiga|Nodin|Elan|Takoda|Chayton")
    static let nativeLast = list("Begay|Yazzie|Tsosie|Benally|Nez|Jim|Lente|Wolfe|Redhorse|Lamebull|Two Bulls|Silversmith")

    static let heritages: [Heritage] = [
        Heritage(
            name: "Hispanic", share: 0.56, hispanic: true, races: ["700", "700", "700", "100"], female: hispanicFemale, male: hispanicMale,
            last: hispanicLast, homeLanguage: 1.45,
            languages: [(["spa"], "01", 0.985), (["mis"], "99", 0.015)], countries: ["MX", "MX", "MX", "GT", "SV", "HN"]),
        Heritage(
            name: "White", share: 0.20, hispanic: false, races: ["700"], female: whiteFemale, male: whiteMale, last: whiteLast,
            homeLanguage: 0.25,
            languages: [
                (["arm", "hye"], "12", 0.3), (["rus"], "29", 0.2), (["per", "fas"], "16", 0.15), (["ara"], "11", 0.15),
                (["ukr"], "38", 0.1), (["por"], "06", 0.1),
            ], countries: ["AM", "RU", "IR", "UA", "IQ"]),
        Heritage(
            name: "Asian", share: 0.10, hispanic: false, races: ["201", "203", "204", "205", "208", "202", "299", "207"],
            female: asianFemale,
            male: asianMale, last: asianLast, homeLanguage: 1.1,
            languages: [
                (["vie"], "02", 0.3), (["cmn", "chi", "zho"], "07", 0.2), (["yue", "chi", "zho"], "03", 0.12), (["kor"], "04", 0.1),
                (["pan"], "28", 0.08), (["hmn"], "23", 0.06), (["hin"], "22", 0.04), (["urd"], "35", 0.03),
                (["khm"], "09", 0.03), (["jpn"], "08", 0.02), (["lao"], "10", 0.02),
            ],
            countries: ["VN", "CN", "KR", "IN", "PH", "JP"]),
        Heritage(
            name: "Black", share: 0.05, hispanic: false, races: ["600"], female: blackFemale, male: blackMale, last: blackLast,
            homeLanguage: 0.15, languages: [(["amh"], "99", 0.4), (["som"], "99", 0.3), (["ara"], "11", 0.3)],
            countries: ["ET", "SO", "NG"]),
        Heritage(
            name: "Filipino", share: 0.022, hispanic: false, races: ["400"], female: filipinoFemale, male: filipinoMale, last: filipinoLast,
            homeLanguage: 0.5, languages: [(["tgl", "fil"], "05", 0.8), (["ilo"], "25", 0.12), (["ceb"], "36", 0.08)], countries: ["PH"]),
        Heritage(
            name: "Two or more", share: 0.046, hispanic: false, races: ["700", "600", "201", "400"], female: whiteFemale + asianFemale,
            male: whiteMale + blackMale, last: whiteLast + asianLast, homeLanguage: 0.2,
            languages: [(["spa"], "01", 0.6), (["tgl", "fil"], "05", 0.2), (["kor"], "04", 0.2)], countries: ["US"]),
        Heritage(
            name: "Pacific Islander", share: 0.004, hispanic: false, races: ["301", "303", "399"], female: islanderFemale,
            male: islanderMale,
            last: islanderLast, homeLanguage: 0.6, languages: [(["smo"], "30", 0.6), (["ton"], "34", 0.4)], countries: ["WS", "TO"]),
        Heritage(
            name: "American Indian", share: 0.005, hispanic: false, races: ["100"], female: nativeFemale, male: nativeMale,
            last: nativeLast,
            homeLanguage: 0.3, languages: [(["nav"], "88", 0.5), (["spa"], "01", 0.5)], countries: ["US"]),
    ]

    /// Common middle names, by the gender they are usually given to (a student of gender X may have either).
    static let middleFemale = list(
        "Marie|Ann|Rose|Grace|Lynn|Elizabeth|Jane|Nicole|Renee|Michelle|Louise|Mae|Jean|Kate|Hope|Faith|Joy|Monique|Alexandra|Guadalupe|Maria|Isabel|Fernanda|Alejandra|Esperanza|Concepción|Yesenia|Paola|Abril|Thi|Ngoc|Mai|Xiao|Kaur|Devi|Kumari|Noelani|Dolores|Soledad|Lucía|Victoria|Catherine|Anne|Josephine|Olivia|Amara|Imani|Aaliyah|Yasmin|Leilani|Sky|River|Jordan|Avery|Quinn|Reese|Rowan|Sage|Lee|Kim"
    )
    static let middleMale = list(
        "James|Michael|Alexander|William|Joseph|Thomas|David|Daniel|Anthony|Christopher|Matthew|Robert|Edward|John|Ray|Scott|Wayne|Allen|Dean|Cole|Angel|Jesus|Antonio|Manuel|Alberto|Eduardo|Armando|Alonso|Santiago|Emilio|Ignacio|Xavier|Rafael|Van|Duc|Minh|Jia|Hyun|Ji|Singh|Kumar|Ali|Hassan|Ahmed|Kofi|Malik|Jamal|Amir|Kai|Sione|Dakota|Santos|Reyes|Sky|River|Jordan|Avery|Quinn|Reese|Rowan|Sage|Lee|Kim"
    )

    static let streets = list(
        "Oak|Maple|Pine|Cedar|Elm|Walnut|Sycamore|Willow|Cypress|Redwood|Magnolia|Juniper|Acacia|Eucalyptus|Olive|Orange|Lemon|Almond|Pepper|Palm|Jacaranda|Laurel|Poplar|Birch|Aspen|Manzanita|Sequoia|Mission|El Camino|Alameda|Vista|Mesa|Sierra|Monterey|Sonoma|Napa|Madera|Fresno|Tulare|Kern|Shasta|Tahoe|Yosemite|Mariposa|Sutter|Placer|Solano|Marin|Ventura|Santa Clara|Santa Rosa|San Carlos|San Pablo|San Pedro|San Juan|San Jose|Los Feliz|La Brea|Del Mar|Del Rio|Rio Vista|Buena Vista|Bella Vista|Linda Vista|Alta Loma|Lomita|Hacienda|Ranchero|Rancho|Arroyo|Cañada|Mirada|Paseo|Plaza|Amador|Cabrillo|Portola|Serra|Anza|Fremont|Bidwell|Sutter Creek|Lincoln|Washington|Jefferson|Madison|Monroe|Jackson|Adams|Grant|Roosevelt|Kennedy|Chavez|King|Parks|Huerta|Harvey Milk|Main|Center|Church|School|Park|Lake|River|Hill|Valley|Meadow|Orchard|Vineyard|Harvest|Sunset|Sunrise|Ocean|Bay|Harbor|Shoreline|Canyon|Ridge|Summit|Highland|Foothill|Mountain View|Prospect|Pleasant|Liberty|Union|Commerce|Industrial|Railroad|Depot|Mill|Granite|Quartz|Gold|Silver|Copper|Jade|Crystal|Pearl|Coral|Sage|Lavender|Poppy|Lupine|Primrose|Camellia|Gardenia|Hibiscus|Iris|Lily|Daisy|Rose|Violet|Azalea|Bougainvillea|Hummingbird|Oriole|Cardinal|Robin|Sparrow|Heron|Egret|Falcon|Hawk|Eagle|Quail|Dove|Condor|Coyote|Bear|Elk|Deer|Fox|Mustang|Bronco|Palomino|First|Second|Third|Fourth|Fifth|Sixth|Seventh|Eighth|Ninth|Tenth|Eleventh|Twelfth"
    )
    static let suffixes = list("St|St|Ave|Ave|Ave|Blvd|Dr|Dr|Ct|Way|Ln|Rd|Pl|Cir|Ter|Pkwy")

    /// Cities of the district, each with its ZIP codes (five digits, 9xxxx as in California).
    static let cities: [(name: String, zips: [String])] = [
        ("Riverside", ["92501", "92503", "92504", "92505"]), ("Fresno", ["93701", "93702", "93703", "93704", "93705"]),
        ("Bakersfield", ["93301", "93304", "93305", "93307"]), ("Stockton", ["95202", "95203", "95204", "95205"]),
        ("Modesto", ["95350", "95351", "95354"]), ("Visalia", ["93277", "93291", "93292"]), ("Merced", ["95340", "95341"]),
        ("Salinas", ["93901", "93905", "93906"]), ("Oxnard", ["93030", "93033", "93035"]), ("Santa Ana", ["92701", "92703", "92704"]),
        ("Anaheim", ["92801", "92802", "92804", "92805"]), ("Pomona", ["91766", "91767", "91768"]),
        ("Ontario", ["91761", "91762", "91764"]),
        ("Fontana", ["92335", "92336", "92337"]), ("San Bernardino", ["92404", "92405", "92407", "92410"]),
        ("Hesperia", ["92344", "92345"]),
        ("Victorville", ["92392", "92394", "92395"]), ("Lancaster", ["93534", "93535", "93536"]),
        ("Palmdale", ["93550", "93551", "93552"]),
        ("Downey", ["90240", "90241", "90242"]), ("Norwalk", ["90650"]), ("Compton", ["90220", "90221", "90222"]),
        ("Inglewood", ["90301", "90302", "90303", "90304"]), ("El Monte", ["91731", "91732", "91733"]),
        ("Pasadena", ["91101", "91103", "91104", "91106"]),
        ("Glendale", ["91201", "91202", "91203", "91205"]), ("Long Beach", ["90802", "90804", "90805", "90806", "90813"]),
        ("Chula Vista", ["91910", "91911", "91913", "91914"]), ("Escondido", ["92025", "92026", "92027"]),
        ("Hayward", ["94541", "94542", "94544", "94545"]),
        ("Richmond", ["94801", "94804", "94805"]), ("Vallejo", ["94589", "94590", "94591"]),
        ("Sacramento", ["95811", "95815", "95820", "95822", "95823"]),
        ("Elk Grove", ["95624", "95757", "95758"]), ("San Jose", ["95110", "95111", "95116", "95122", "95127"]),
        ("Santa Rosa", ["95401", "95403", "95404", "95407"]),
    ]

    /// School names: a namesake and the level's word.
    static let schoolNamesakes = list(
        "Lincoln|Washington|Jefferson|Roosevelt|Cesar Chavez|Dolores Huerta|Rosa Parks|Martin Luther King Jr.|Sally Ride|John Muir|Sequoia|Redwood|Sierra Vista|Valley View|Oak Grove|Willow Creek|Sunset|Mission|El Camino|Monte Vista|Rancho|Hillcrest|Lakeside|Riverside|Parkview|Cypress|Madrone|Live Oak|Manzanita|Juniper|Ocean View|Mountain View|Pioneer|Heritage|Franklin|Hoover|Kennedy|Garfield|Grant|Madison|Monroe|Emerson|Thoreau|Whittier|Longfellow|Harriet Tubman|Ruby Bridges|Fred Korematsu|Larry Itliong|Sylvia Mendez|Ellen Ochoa|Amelia Earhart|Thurgood Marshall|Frida Kahlo|Maya Angelou|Jackie Robinson|Yuri Kochiyama|Carlos Santana|Bella Vista|Del Mar|Alta Loma|Buena Vista|Vista Verde|Las Palmas|Los Robles|Los Alamos|Arroyo Seco|Canyon Crest|Foothill|Summit|Highland|Golden Hills|Poppy Fields|Meadowbrook|Fairview|Eastside|Westside|Northgate|Southridge|Central|Harbor|Bayview|Shoreline|Twin Oaks|Three Rivers|Orchard|Vineyard|Harvest Park|Sunrise|Sunnyside|Evergreen|Maple Grove|Aspen|Birchwood|Cedar Ridge|Pine Hollow|Elmwood|Magnolia|Jacaranda|Sycamore"
    )
}
